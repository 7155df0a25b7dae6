"""Error numbers returned by system calls (negated), as in Linux."""

EPERM = 1       # operation not permitted
ENOENT = 2      # no such file or pipe
EBADF = 9       # bad file descriptor
ECHILD = 10     # no such child process
EAGAIN = 11     # try again
ENOMEM = 12     # out of memory
EACCES = 13     # permission denied (e.g. blocked by the security sensor)
EFAULT = 14     # bad address: a pointer that is not a mapped user address
EEXIST = 17     # already exists
ENOTDIR = 20    # not a directory (e.g. "file/")
EISDIR = 21     # is a directory
EINVAL = 22     # invalid argument
EMFILE = 24     # too many open files
ENAMETOOLONG = 36
ENOSYS = 38     # no such system call
ETIMEDOUT = 110
EPIPE = 32      # broken pipe

NAMES = {value: name for name, value in globals().items() if name.startswith("E") and isinstance(value, int)}
