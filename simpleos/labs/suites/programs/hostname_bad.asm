; hostname_bad.asm -- gethostname with a kernel pointer: must fail with EFAULT (exit 14)
_start:
    mov rdi, 0xffff800000001000     ; rdi = a kernel address
    mov rsi, 64                     ; rsi = size
    mov rax, SYS_GETHOSTNAME
    syscall
    test rax, rax
    js .Lfailed                     ; a negative result is -errno
    lea rdi, [rip + name]
    call print
    lea rdi, [rip + newline]
    call print
    xor rdi, rdi
    call exit
.Lfailed:
    neg rax                         ; exit code = errno
    mov rdi, rax
    call exit

.include "lib.asm"

.data
newline: .asciz "\n"
name:    .space 64
