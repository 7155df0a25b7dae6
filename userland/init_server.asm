; init_server.asm -- init for a server (the role "server" in /etc/role).
;
; The code is init.inc, the same as every role's; only the tables below
; differ. A server shares files (srvsvc), authenticates a domain
; (netlogon) and runs a database that listens on a named pipe, as
; Microsoft SQL Server does on \\.\pipe\sql\query. It prints nothing, so it
; has no spooler. Content that tests, say, pipes under \\.\pipe\sql\ is
; therefore tried only on servers.

.include "init.inc"

.data
banner:           .asciz "init: starting services (server)\n"
program_service:  .asciz "service"
program_beacon:   .asciz "beacon"
pipe_eventlog:    .asciz "\\\\.\\pipe\\eventlog"     ; the event log
pipe_lsarpc:      .asciz "\\\\.\\pipe\\lsarpc"       ; the local security authority
pipe_srvsvc:      .asciz "\\\\.\\pipe\\srvsvc"       ; the server service (SMB file shares)
pipe_netlogon:    .asciz "\\\\.\\pipe\\netlogon"     ; domain logons
pipe_sql_query:   .asciz "\\\\.\\pipe\\sql\\query"   ; the database's client pipe
.balign 8
service_pipes:    .quad pipe_eventlog, pipe_lsarpc, pipe_srvsvc, pipe_netlogon, pipe_sql_query, 0
workload:         .quad program_beacon, 0
one_millisecond:  .quad 0, 1000000          ; struct timespec { seconds, nanoseconds }
