/*
 * simpleos.h -- everything a C program for SimpleOS can call.
 *
 * There is no C library on this machine (no glibc, no stdio.h): a program
 * gets exactly what this header declares, built from the four files next
 * to it, which `simpleos cc` compiles into every program:
 *
 *   crt0.S      _start: takes argc and argv off the stack, calls main, exits
 *   syscalls.c  one wrapper per system call of docs/syscalls.md
 *   string.c    strlen, strcmp, memcpy, memset, ...
 *   printf.c    printf, snprintf, puts, putchar -- integers and strings only
 *
 * System calls return what the kernel returns: a negative result is -errno
 * (there is no global errno variable). Example: open() of a missing file
 * returns -ENOENT, i.e. -2.
 *
 * The machine has no floating point: the kernel never enables SSE
 * (CR4.OSFXSR is clear, as in xv6, which saves no FPU state), so
 * `simpleos cc` compiles with -mgeneral-regs-only and `double` is a
 * compile error.
 */
#ifndef SIMPLEOS_H
#define SIMPLEOS_H

#include <stdarg.h>     /* from the compiler itself: these work without a C library */
#include <stddef.h>
#include <stdint.h>

/* System-call numbers (docs/syscalls.md). `simpleos cc` also passes every
 * number of the kernel's table with -D, so a call added to the kernel (Lab 2)
 * has its SYS_ name here without editing this file. */
#ifndef SYS_READ
#define SYS_READ                0
#define SYS_WRITE               1
#define SYS_OPEN                2
#define SYS_CLOSE               3
#define SYS_SCHED_YIELD         24
#define SYS_NANOSLEEP           35
#define SYS_GETPID              39
#define SYS_EXIT                60
#define SYS_GETRANDOM           318
#define SYS_SPAWN               500
#define SYS_PIPE_CREATE         501
#define SYS_WAITPID             502
#define SYS_BOOT_COMPLETE       503
#define SYS_SENSOR_WAIT_EVENT   510
#define SYS_SENSOR_VERDICT      511
#define SYS_SENSOR_GET_CONTENT  512
#define SYS_SENSOR_LOG          513
#endif

/* Error numbers, as in Linux (simpleos/kernel/errno.py). */
#define EPERM         1     /* not permitted (e.g. a sensor call from a program) */
#define ENOENT        2     /* no such file, pipe or program */
#define EBADF         9     /* fd not open */
#define ECHILD       10     /* waitpid: no such child */
#define EAGAIN       11     /* too many processes */
#define ENOMEM       12
#define EACCES       13     /* denied by the security sensor */
#define EFAULT       14     /* a pointer that is not a mapped user address */
#define EEXIST       17     /* the pipe name is taken */
#define ENOTDIR      20
#define EISDIR       21
#define EINVAL       22     /* a bad argument */
#define EMFILE       24     /* too many open files */
#define EPIPE        32
#define ENAMETOOLONG 36
#define ENOSYS       38     /* no such system call */
#define ETIMEDOUT   110

#define STDIN_FILENO  0     /* always at end of file: the machine has no keyboard */
#define STDOUT_FILENO 1     /* the console */
#define STDERR_FILENO 2     /* the console too */

typedef long ssize_t;

struct timespec {           /* nanosleep's argument */
    long tv_sec;
    long tv_nsec;
};

/* The raw instruction: rax = number; rdi, rsi, rdx, r10, r8, r9 = arguments;
 * the result comes back in rax. `syscall` itself clobbers rcx and r11. */
static inline long syscall6(long number, long a1, long a2, long a3, long a4, long a5, long a6)
{
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    long result;
    __asm__ volatile ("syscall"
                      : "=a"(result)
                      : "a"(number), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                      : "rcx", "r11", "memory");
    return result;
}
#define syscall0(n)             syscall6((n), 0, 0, 0, 0, 0, 0)
#define syscall1(n, a)          syscall6((n), (long)(a), 0, 0, 0, 0, 0)
#define syscall2(n, a, b)       syscall6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define syscall3(n, a, b, c)    syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* syscalls.c: one function per system call (docs/syscalls.md has what each does). */
ssize_t read(int fd, void *buffer, size_t count);
ssize_t write(int fd, const void *buffer, size_t count);
int open(const char *path, int flags);
int close(int fd);
int sched_yield(void);
int nanosleep(const struct timespec *duration, struct timespec *remaining);
int getpid(void);
_Noreturn void exit(int code);
ssize_t getrandom(void *buffer, size_t length, unsigned int flags);
int spawn(const char *program, const char *argument);
int pipe_create(const char *name);
int waitpid(int pid);                   /* -1: any child; returns its exit code */
int boot_complete(void);                /* init only; -EPERM for anyone else */
int sensor_wait_event(void *buffer, size_t size);          /* the sensor driver only */
int sensor_verdict(int verdict, long rule, long handle);   /* the sensor driver only */
ssize_t sensor_get_content(long index, void *buffer, size_t size);
int sensor_log(const char *message);

/* string.c */
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *to, const char *from);
char *strchr(const char *s, int c);
void *memcpy(void *to, const void *from, size_t n);
void *memmove(void *to, const void *from, size_t n);
void *memset(void *s, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* printf.c: %d %i %u %x %X %o %p %s %c %%, with flags - and 0, a width (or *),
 * and the sizes hh h l ll z. printf writes to the console (fd 1). */
int printf(const char *format, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *format, va_list arguments);
int dprintf(int fd, const char *format, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char *buffer, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buffer, size_t size, const char *format, va_list arguments);
int puts(const char *s);                /* s and a newline */
int putchar(int c);

#endif
