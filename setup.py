"""Build the native pieces: two hooks that unicorn calls from translated code, and a page compare.

simpleos/machine/_icount.c counts instructions retired and stops at the
time-slice budget (called once per translated block); simpleos/machine/_edges.c
records edge coverage for the fuzzer (called once per block, only while
`simpleos fuzz` runs). Python would be 50x slower in either.
simpleos/machine/_pages.c compares RAM with a checkpoint's pages (a memcmp per
page, for time travel). Everything else in SimpleOS is Python. The package list lives here
because drivers/, channel_files/ and userland/ are mapped into the package
(pyproject.toml, [tool.setuptools] package-dir).
"""
from setuptools import Extension, find_packages, setup

setup(
    packages=find_packages(include=["simpleos", "simpleos.*"])
    + ["simpleos.drivers", "simpleos.drivers.sensor", "simpleos.drivers.rootkit", "simpleos.channel_files", "simpleos.userland",
       "simpleos.userland.libc", "simpleos.labs.autograder", "simpleos.labs.suites.programs"],
    ext_modules=[Extension("simpleos.machine._icount", ["simpleos/machine/_icount.c"]),
                 Extension("simpleos.machine._edges", ["simpleos/machine/_edges.c"]),
                 Extension("simpleos.machine._pages", ["simpleos/machine/_pages.c"])],
)
