; peek.asm -- Lab 1's kread, with the read in a routine of its own, so that
; a debugger has a frame to show: `_start` calls `peek`, and peek's read of
; the kernel's direct map faults (#PF, protection violation: the page is
; mapped, but supervisor-only).
_start:
    mov rdi, 0xffff800000001000     ; a kernel address (the direct map of RAM)
    call peek                       ; peek(rdi): read one byte there
    xor rdi, rdi                    ; never reached: the CPU stops the read
    call exit

; peek(rdi = address) -> eax = the byte at the address
peek:
    movzx eax, byte ptr [rdi]       ; #PF: ring 3 may not read a supervisor page
    ret

.include "lib.asm"
