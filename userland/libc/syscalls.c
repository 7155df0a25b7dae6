/*
 * syscalls.c -- one C function per system call of docs/syscalls.md.
 *
 * Each is the `syscall` instruction with the arguments in the registers of
 * the Linux x86-64 convention (syscall6 in simpleos.h). The result is the
 * kernel's: negative means -errno. Nothing here checks anything -- the
 * kernel checks every pointer (a bad one is -EFAULT, never a crash).
 */
#include "simpleos.h"

ssize_t read(int fd, void *buffer, size_t count)
{
    return syscall3(SYS_READ, fd, buffer, count);
}

ssize_t write(int fd, const void *buffer, size_t count)
{
    return syscall3(SYS_WRITE, fd, buffer, count);
}

int open(const char *path, int flags)
{
    return syscall2(SYS_OPEN, path, flags);
}

int close(int fd)
{
    return syscall1(SYS_CLOSE, fd);
}

int sched_yield(void)
{
    return syscall0(SYS_SCHED_YIELD);
}

int nanosleep(const struct timespec *duration, struct timespec *remaining)
{
    return syscall2(SYS_NANOSLEEP, duration, remaining);
}

int getpid(void)
{
    return syscall0(SYS_GETPID);
}

_Noreturn void exit(int code)
{
    syscall1(SYS_EXIT, code);
    for (;;)                        /* exit does not return; if it ever did, stop here */
        ;
}

ssize_t getrandom(void *buffer, size_t length, unsigned int flags)
{
    return syscall3(SYS_GETRANDOM, buffer, length, flags);
}

int spawn(const char *program, const char *argument)
{
    return syscall2(SYS_SPAWN, program, argument);
}

int pipe_create(const char *name)
{
    return syscall1(SYS_PIPE_CREATE, name);
}

int waitpid(int pid)
{
    return syscall1(SYS_WAITPID, pid);
}

int boot_complete(void)
{
    return syscall0(SYS_BOOT_COMPLETE);
}

int sensor_wait_event(void *buffer, size_t size)
{
    return syscall2(SYS_SENSOR_WAIT_EVENT, buffer, size);
}

int sensor_verdict(int verdict, long rule, long handle)
{
    return syscall3(SYS_SENSOR_VERDICT, verdict, rule, handle);
}

ssize_t sensor_get_content(long index, void *buffer, size_t size)
{
    return syscall3(SYS_SENSOR_GET_CONTENT, index, buffer, size);
}

int sensor_log(const char *message)
{
    return syscall1(SYS_SENSOR_LOG, message);
}
