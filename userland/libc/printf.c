/*
 * printf.c -- formatted output: printf, dprintf, snprintf, puts, putchar.
 *
 * One formatter (format_into) writes characters to a `sink`. The console
 * sink collects them in a small buffer and hands them to write() when it
 * is full and when printf ends, so a line usually reaches the kernel in one
 * system call. The string sink (snprintf) stores what fits and counts the
 * rest, as C's snprintf does.
 *
 * Supported: %d %i %u %x %X %o %p %s %c %%; the flags '-' (left-justify)
 * and '0' (pad with zeros); a width, or '*' to take it from the arguments;
 * the sizes hh, h, l, ll, z, t and j. No floating point (see simpleos.h).
 */
#include "simpleos.h"

struct sink {
    char *buffer;
    size_t size;            /* room in buffer */
    size_t used;            /* characters stored in buffer */
    size_t total;           /* characters produced, stored or not */
    int fd;                 /* >= 0: flush to this file descriptor when full */
};

static void flush(struct sink *out)
{
    if (out->fd >= 0 && out->used > 0) {
        write(out->fd, out->buffer, out->used);
        out->used = 0;
    }
}

static void put(struct sink *out, char c)
{
    if (out->fd >= 0 && out->used == out->size)
        flush(out);
    if (out->used < out->size)
        out->buffer[out->used++] = c;
    out->total++;
}

static void put_padding(struct sink *out, char c, int count)
{
    for (; count > 0; count--)
        put(out, c);
}

/* The digits of `value` in `base`, padded to `width` (zeros or spaces), with a '-' if negative. */
static void put_number(struct sink *out, unsigned long long value, int negative, unsigned base,
                       int uppercase, int width, int left, char pad)
{
    const char *digits = uppercase ? "0123456789ABCDEF" : "0123456789abcdef";
    char reversed[24];
    int n = 0;
    do {
        reversed[n++] = digits[value % base];
        value /= base;
    } while (value != 0);
    int length = n + negative;
    if (negative && pad == '0')
        put(out, '-');
    if (!left)
        put_padding(out, pad, width - length);
    if (negative && pad != '0')
        put(out, '-');
    while (n > 0)
        put(out, reversed[--n]);
    if (left)
        put_padding(out, ' ', width - length);
}

static void put_string(struct sink *out, const char *s, int width, int left)
{
    if (s == NULL)
        s = "(null)";
    int length = (int)strlen(s);
    if (!left)
        put_padding(out, ' ', width - length);
    while (*s != '\0')
        put(out, *s++);
    if (left)
        put_padding(out, ' ', width - length);
}

/* Fetch the next integer argument with the size the conversion asked for. */
static long long signed_argument(va_list *arguments, int size)
{
    switch (size) {
    case 'H': return (signed char)va_arg(*arguments, int);
    case 'h': return (short)va_arg(*arguments, int);
    case 'l': return va_arg(*arguments, long);
    case 'L': return va_arg(*arguments, long long);
    case 'z': return va_arg(*arguments, ssize_t);
    default:  return va_arg(*arguments, int);
    }
}

static unsigned long long unsigned_argument(va_list *arguments, int size)
{
    switch (size) {
    case 'H': return (unsigned char)va_arg(*arguments, unsigned int);
    case 'h': return (unsigned short)va_arg(*arguments, unsigned int);
    case 'l': return va_arg(*arguments, unsigned long);
    case 'L': return va_arg(*arguments, unsigned long long);
    case 'z': return va_arg(*arguments, size_t);
    default:  return va_arg(*arguments, unsigned int);
    }
}

static void format_into(struct sink *out, const char *format, va_list arguments)
{
    va_list args;
    va_copy(args, arguments);
    for (const char *p = format; *p != '\0'; p++) {
        if (*p != '%') {
            put(out, *p);
            continue;
        }
        p++;
        int left = 0;
        char pad = ' ';
        for (;; p++) {                              /* flags */
            if (*p == '-')
                left = 1;
            else if (*p == '0')
                pad = '0';
            else
                break;
        }
        if (left)
            pad = ' ';                              /* C: '-' overrides '0' */
        int width = 0;
        if (*p == '*') {                            /* width */
            width = va_arg(args, int);
            p++;
        }
        while (*p >= '0' && *p <= '9')
            width = width * 10 + (*p++ - '0');
        int size = 0;                               /* size: H=hh h l L=ll z */
        if (*p == 'h') {
            size = *++p == 'h' ? (p++, 'H') : 'h';
        } else if (*p == 'l') {
            size = *++p == 'l' ? (p++, 'L') : 'l';
        } else if (*p == 'z' || *p == 't' || *p == 'j') {
            size = *p == 'j' ? 'L' : 'z';
            p++;
        }
        switch (*p) {
        case 'd':
        case 'i': {
            long long value = signed_argument(&args, size);
            unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
            put_number(out, magnitude, value < 0, 10, 0, width, left, pad);
            break;
        }
        case 'u':
            put_number(out, unsigned_argument(&args, size), 0, 10, 0, width, left, pad);
            break;
        case 'x':
        case 'X':
            put_number(out, unsigned_argument(&args, size), 0, 16, *p == 'X', width, left, pad);
            break;
        case 'o':
            put_number(out, unsigned_argument(&args, size), 0, 8, 0, width, left, pad);
            break;
        case 'p':
            put(out, '0');
            put(out, 'x');
            put_number(out, (uintptr_t)va_arg(args, void *), 0, 16, 0, width - 2, left, pad);
            break;
        case 's':
            put_string(out, va_arg(args, const char *), width, left);
            break;
        case 'c':
            put(out, (char)va_arg(args, int));
            break;
        case '%':
            put(out, '%');
            break;
        case '\0':                                  /* a lone '%' at the end */
            p--;
            break;
        default:                                    /* unknown: print it as written */
            put(out, '%');
            put(out, *p);
        }
    }
    va_end(args);
}

int vsnprintf(char *buffer, size_t size, const char *format, va_list arguments)
{
    struct sink out = { buffer, size > 0 ? size - 1 : 0, 0, 0, -1 };
    format_into(&out, format, arguments);
    if (size > 0)
        buffer[out.used] = '\0';
    return (int)out.total;
}

int snprintf(char *buffer, size_t size, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int n = vsnprintf(buffer, size, format, arguments);
    va_end(arguments);
    return n;
}

static int vdprintf(int fd, const char *format, va_list arguments)
{
    char buffer[256];
    struct sink out = { buffer, sizeof buffer, 0, 0, fd };
    format_into(&out, format, arguments);
    flush(&out);
    return (int)out.total;
}

int vprintf(const char *format, va_list arguments)
{
    return vdprintf(STDOUT_FILENO, format, arguments);
}

int printf(const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int n = vdprintf(STDOUT_FILENO, format, arguments);
    va_end(arguments);
    return n;
}

int dprintf(int fd, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int n = vdprintf(fd, format, arguments);
    va_end(arguments);
    return n;
}

int puts(const char *s)
{
    size_t length = strlen(s);
    char newline = '\n';
    write(STDOUT_FILENO, s, length);        /* two writes; the console joins them into one line */
    write(STDOUT_FILENO, &newline, 1);
    return (int)length + 1;
}

int putchar(int c)
{
    char byte = (char)c;
    write(STDOUT_FILENO, &byte, 1);
    return (unsigned char)byte;
}
