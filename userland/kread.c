/*
 * kread.c -- Lab 1's first fault, in C: read a kernel address from ring 3.
 *
 * 0xffff800000001000 is in the kernel's direct map of RAM: mapped, but
 * supervisor-only. The CPU itself refuses the read (a #PF with the
 * "protection violation" bit set) and the kernel kills only this program:
 *
 *     pid 8 kread: trap 14 #PF (page fault) rip 0x... <main+0x..> (kread.c:20) addr 0xffff800000001000 ...
 *
 * `volatile` makes gcc really do the read (the value is never used).
 */
#include "simpleos.h"

int main(void)
{
    volatile uint64_t *kernel_memory = (volatile uint64_t *)0xffff800000001000;

    printf("reading the kernel's memory at %p ...\n", (void *)kernel_memory);
    uint64_t value = *kernel_memory;
    printf("read %lx: the MMU let ring 3 read the kernel (it never should)\n", (unsigned long)value);
    return 1;
}
