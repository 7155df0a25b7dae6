; guard.asm -- recurse until the stack runs into its guard page (reference solution, Lab 1)
_start:
    call _start                     ; every call pushes 8 bytes; the 65th KiB is the guard page -> #PF 0x6
.include "lib.asm"
