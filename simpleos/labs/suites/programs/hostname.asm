; hostname.asm -- print the machine's name (Lab 2's test program: run it before and after your change)
_start:
    lea rdi, [rip + name]           ; rdi = buf
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
