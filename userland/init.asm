; init.asm -- the first user process (pid 2, ring 3) of a workstation,
; the default machine role.
;
; The code is init.inc, shared by every role; this file is the data that
; makes a workstation: the services it starts (one `service` per pipe
; name) and its workload. A server (init_server.asm) and a kiosk
; (init_kiosk.asm) differ only in these tables. The kernel starts the init
; of the role named in /etc/role on the machine's disk, and this one when
; there is no /etc/role (see simpleos/kernel/role.py).

.include "init.inc"

.data
banner:           .asciz "init: starting services\n"
program_service:  .asciz "service"
program_beacon:   .asciz "beacon"
pipe_spoolss:     .asciz "\\\\.\\pipe\\spoolss"      ; the print spooler
pipe_eventlog:    .asciz "\\\\.\\pipe\\eventlog"     ; the event log
pipe_wkssvc:      .asciz "\\\\.\\pipe\\wkssvc"       ; the workstation service (SMB client)
pipe_lsarpc:      .asciz "\\\\.\\pipe\\lsarpc"       ; the local security authority
.balign 8
service_pipes:    .quad pipe_spoolss, pipe_eventlog, pipe_wkssvc, pipe_lsarpc, 0
workload:         .quad program_beacon, 0
one_millisecond:  .quad 0, 1000000          ; struct timespec { seconds, nanoseconds }
