/*
 * string.c -- the string and memory functions of a C library, the plain way.
 *
 * gcc may call memcpy, memmove, memset and memcmp by itself (to copy a
 * struct, to clear an array), even in a freestanding program, so they must
 * exist. Byte by byte: clear, not fast.
 */
#include "simpleos.h"

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0')
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n > 0; n--, a++, b++) {
        if (*a != *b || *a == '\0')
            return (unsigned char)*a - (unsigned char)*b;
    }
    return 0;
}

char *strcpy(char *to, const char *from)
{
    char *start = to;
    while ((*to++ = *from++) != '\0')
        ;
    return start;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (*s == '\0')
            return NULL;
    }
}

void *memcpy(void *to, const void *from, size_t n)
{
    unsigned char *d = to;
    const unsigned char *s = from;
    while (n-- > 0)
        *d++ = *s++;
    return to;
}

void *memmove(void *to, const void *from, size_t n)
{
    unsigned char *d = to;
    const unsigned char *s = from;
    if (d < s) {
        while (n-- > 0)
            *d++ = *s++;
    } else {                        /* overlapping, destination above: copy from the end */
        while (n-- > 0)
            d[n] = s[n];
    }
    return to;
}

void *memset(void *s, int c, size_t n)
{
    unsigned char *p = s;
    while (n-- > 0)
        *p++ = (unsigned char)c;
    return s;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n > 0; n--, x++, y++) {
        if (*x != *y)
            return *x - *y;
    }
    return 0;
}
