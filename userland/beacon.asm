; beacon.asm -- a demo "C2 beacon": the malware the sensor is there to stop.
;
; Command-and-control implants often talk to their operator over a named
; pipe; Cobalt Strike's default pipe names look like \\.\pipe\MSSE-<n>-server.
; This beacon builds such a name from a random number (getrandom: the kernel's
; generator, seeded by --seed), tries to create the pipe, and reports whether
; it got through. Like a real implant it retries: ATTEMPTS times, RETRY_SECONDS
; apart. Good content for channel 291 denies it (rule 291001).

ATTEMPTS = 3
RETRY_SECONDS = 5

_start:
    mov r15, ATTEMPTS               ; r15 = attempts left (survives syscalls)
.Lattempt:
    ; n = a random number 1000..9999 (4 decimal digits)
    lea rdi, [rip + random_bytes]
    mov rsi, 8
    xor rdx, rdx
    mov rax, SYS_GETRANDOM
    syscall
    mov rax, [rip + random_bytes]
    xor rdx, rdx
    mov rcx, 9000
    div rcx                         ; rdx = random % 9000
    lea rax, [rdx + 1000]           ; rax = 1000 .. 9999

    ; Write the 4 digits into the name, last digit first.
    lea rdi, [rip + pipe_digits + 3]
    mov rcx, 10
    mov r8, 4
.Lnext_digit:
    xor rdx, rdx
    div rcx                         ; rax = rax / 10, rdx = last digit
    add dl, '0'
    mov [rdi], dl
    dec rdi
    dec r8
    jnz .Lnext_digit

    lea rdi, [rip + pipe_name]
    mov rax, SYS_PIPE_CREATE
    syscall
    test rax, rax
    js .Lblocked

    mov rdi, rax                    ; got through: the pipe is ours. Say so, hang up.
    mov rax, SYS_CLOSE
    syscall
    lea rdi, [rip + msg_connected]
    call print
    lea rdi, [rip + pipe_name]
    call print
    lea rdi, [rip + newline]
    call print
    jmp .Lnext_attempt

.Lblocked:
    lea rdi, [rip + msg_blocked]
    call print

.Lnext_attempt:
    dec r15
    jz .Lgive_up
    lea rdi, [rip + retry_delay]    ; sleep, then try again with a new name
    xor rsi, rsi
    mov rax, SYS_NANOSLEEP
    syscall
    jmp .Lattempt

.Lgive_up:
    xor rdi, rdi
    call exit

.include "lib.asm"

.data
pipe_name:      .ascii "\\\\.\\pipe\\MSSE-"
pipe_digits:    .ascii "0000"
                .asciz "-server"
msg_connected:  .asciz "beacon: C2 channel open on "
msg_blocked:    .asciz "beacon: could not open its C2 pipe (blocked)\n"
newline:        .asciz "\n"
.balign 8
random_bytes:   .quad 0
retry_delay:    .quad RETRY_SECONDS, 0      ; struct timespec { seconds, nanoseconds }
