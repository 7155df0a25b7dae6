; init.asm -- the first user process (ring 3; pid 2 when the sensor, a boot-start driver, took pid 1).
;
; Like init on Unix or smss/wininit on Windows, it starts the system services,
; tells the kernel the system is up, and then waits for its children forever.
; Each service creates a named pipe: that is the event the security sensor
; inspects (channel 291's IPC template type), so a bad channel file makes the
; very first pipe creation fatal -- before "boot complete".

_start:
    lea rdi, [rip + banner]
    call print

    ; Start one `service` process per pipe name in the table below. spawn()
    ; takes a program name and one argument string (the child finds it in rdi).
    lea rbx, [rip + service_pipes]  ; rbx walks the table of pipe names
.Lnext_service:
    mov rsi, [rbx]                  ; rsi = argument: this service's pipe name
    test rsi, rsi                   ; a 0 entry ends the table
    jz .Lservices_started
    lea rdi, [rip + program_service]
    mov rax, SYS_SPAWN
    syscall
    add rbx, 8
    jmp .Lnext_service

.Lservices_started:
    ; Give the services a millisecond of (virtual) time to create their pipes.
    lea rdi, [rip + one_millisecond]
    xor rsi, rsi
    mov rax, SYS_NANOSLEEP
    syscall

    ; The system is up: the kernel clears the boot-status flag (a boot that
    ; never gets here counts as failed; see docs/boot.md).
    mov rax, SYS_BOOT_COMPLETE
    syscall

    ; The workload: the programs of a normal day's use (today: the beacon,
    ; which the sensor must stop). init prints nothing of its own after its
    ; banner, so what `simpleos run` shows is the student's program alone.
    lea rbx, [rip + workload]
.Lnext_program:
    mov rdi, [rbx]
    test rdi, rdi
    jz .Lreap_forever
    xor rsi, rsi                    ; no argument
    mov rax, SYS_SPAWN
    syscall
    add rbx, 8
    jmp .Lnext_program

    ; Collect children as they end; with no child left, init is done.
.Lreap_forever:
    mov rdi, -1                     ; -1: any child
    mov rax, SYS_WAITPID
    syscall
    test rax, rax
    jns .Lreap_forever              ; a child ended: wait for the next one
    xor rdi, rdi
    call exit

.include "lib.asm"

.data
banner:           .asciz "init: starting services\n"
program_service:  .asciz "service"
program_beacon:   .asciz "beacon"
pipe_spoolss:     .asciz "\\\\.\\pipe\\spoolss"
pipe_eventlog:    .asciz "\\\\.\\pipe\\eventlog"
pipe_wkssvc:      .asciz "\\\\.\\pipe\\wkssvc"
pipe_lsarpc:      .asciz "\\\\.\\pipe\\lsarpc"
.balign 8
service_pipes:    .quad pipe_spoolss, pipe_eventlog, pipe_wkssvc, pipe_lsarpc, 0
workload:         .quad program_beacon, 0
one_millisecond:  .quad 0, 1000000          ; struct timespec { seconds, nanoseconds }
