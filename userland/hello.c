/*
 * hello.c -- the first program of the course, in C: print a line and exit.
 *
 *     simpleos cc userland/hello.c -o hello
 *     simpleos run hello
 *
 * main's return value becomes the exit code (crt0.S calls exit with it).
 */
#include "simpleos.h"

int main(int argc, char **argv)
{
    printf("hello, world from ring 3 (in C, as %s, pid %d)\n", argv[0], getpid());
    return 0;
}
