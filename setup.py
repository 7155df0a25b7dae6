"""Build the one native piece: the instruction counter hook (simpleos/machine/_icount.c).

It is a plain C function that unicorn calls once per guest instruction to count
instructions retired and stop at the time-slice budget. Python would be 50x
slower here; everything else in SimpleOS is Python. The package list lives here
because drivers/, channel_files/ and userland/ are mapped into the package
(pyproject.toml, [tool.setuptools] package-dir).
"""
from setuptools import Extension, find_packages, setup

setup(
    packages=find_packages(include=["simpleos", "simpleos.*"])
    + ["simpleos.drivers", "simpleos.drivers.sensor", "simpleos.channel_files", "simpleos.userland",
       "simpleos.userland.libc"],
    ext_modules=[Extension("simpleos.machine._icount", ["simpleos/machine/_icount.c"])],
)
