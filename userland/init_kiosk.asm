; init_kiosk.asm -- init for a kiosk (the role "kiosk" in /etc/role): an
; airport check-in screen, a shop till, a hospital sign-in terminal.
;
; The code is init.inc, the same as every role's; only the tables below
; differ. A kiosk is locked down to one application, which talks to its
; helper through the named pipe \\.\pipe\kiosk-shell. It has no file
; sharing and no spooler. Content that tests that pipe is therefore tried
; only on kiosks.

.include "init.inc"

.data
banner:           .asciz "init: starting services (kiosk)\n"
program_service:  .asciz "service"
program_beacon:   .asciz "beacon"
pipe_eventlog:    .asciz "\\\\.\\pipe\\eventlog"     ; the event log
pipe_lsarpc:      .asciz "\\\\.\\pipe\\lsarpc"       ; the local security authority
pipe_kiosk_shell: .asciz "\\\\.\\pipe\\kiosk-shell"  ; the kiosk application's helper
.balign 8
service_pipes:    .quad pipe_eventlog, pipe_lsarpc, pipe_kiosk_shell, 0
workload:         .quad program_beacon, 0
one_millisecond:  .quad 0, 1000000          ; struct timespec { seconds, nanoseconds }
