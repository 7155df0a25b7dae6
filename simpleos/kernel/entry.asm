; entry.asm -- the door from ring 0 to ring 3 (the kernel's other machine code, kapi.asm, is for drivers).
;
; The kernel is Python; it needs machine code only where the CPU itself must
; change privilege. A new process's first time slice starts here, at CPL 0,
; on the process's own kernel stack. The kernel (Kernel.spawn, with loader.py's iretq_frame)
; has built an interrupt-return frame there, as if the process had been
; interrupted in user mode:
;
;     [rsp +  0]  RIP     the program's entry point (_start)
;     [rsp +  8]  CS      0x23: user code segment, RPL 3
;     [rsp + 16]  RFLAGS  0x202: interrupts enabled
;     [rsp + 24]  RSP     top of the user stack
;     [rsp + 32]  SS      0x1b: user data segment, RPL 3
;
; iretq pops all five at once. Because the new CS has RPL 3, the CPU drops to
; CPL 3: from the next instruction on, the MMU refuses supervisor pages and
; privileged instructions (cli, hlt, mov cr3, wrmsr) raise #GP.

user_entry:
    iretq
