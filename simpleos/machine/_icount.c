/*
 * _icount.c -- the instruction counter (with _edges.c and _pages.c, the only C in SimpleOS).
 *
 * It counts instructions retired -- the machine's virtual clock -- and stops
 * the CPU when the time slice's budget is spent (so a guest `jmp $` can never
 * hang the host) or when the CPU comes to a breakpoint. machine/icount.py
 * installs it and reads its results; this file only counts and stops.
 *
 * Counting per translated block. unicorn calls icount_on_block() when a
 * translated block (straight-line code ending in a branch) is entered. The
 * block's instruction count comes from a small cache keyed by (address,
 * size, address space); a miss asks unicorn for the block
 * (UC_CTL_TB_REQUEST_CACHE), which knows how many instructions it holds.
 * If the whole block fits in the budget, the count goes up by that many;
 * if it does not, or a breakpoint lies inside it, the callback stops the CPU
 * before the block runs (unicorn calls block hooks before a block's first
 * instruction) and says why in `stop_reason`. The machine then runs just
 * that block under icount_on_tail_instruction(), a per-instruction hook
 * bounded to the block's bytes, which stops at the exact instruction (the
 * budget's last, or the breakpoint); the bounded hook is removed afterwards.
 *
 * A fault in the middle of a block ends it early: the count then holds the
 * whole block, and cpu.py corrects it from RIP (the rare path). `syscall`
 * always ends its block, so counts read inside the syscall hook are exact.
 *
 * Why not unicorn's own emu_start(count=N): it counts with a per-instruction
 * hook (about 15x slower), never says how many instructions ran when a trap
 * ends the run early, and the next run without a count flushes every
 * translation.
 *
 * It must not do anything else: no policy, no Python calls.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* unicorn's uc_tb (unicorn.h), filled by UC_CTL_TB_REQUEST_CACHE. */
typedef struct {
    uint64_t pc;
    uint16_t icount;
    uint16_t size;
} uc_tb_t;

typedef int (*uc_emu_stop_t)(void *uc);
typedef int (*uc_ctl_t)(void *uc, int control, ...);

/* One cached block: valid while `generation` equals the counter's. */
typedef struct {
    uint64_t address;
    uint64_t space;
    uint32_t size;
    uint32_t generation;
    uint32_t count;
    uint32_t holds_breakpoint;
} block_t;

enum { STOP_NONE = 0, STOP_BUDGET = 1, STOP_BREAKPOINT_BLOCK = 2, STOP_BREAKPOINT = 3, STOP_UNKNOWN_BLOCK = 4,
       STOP_TAIL_DONE = 5 };

/* Shared with machine/icount.py (the ctypes Structure there has the same fields, in order). */
typedef struct {
    uint64_t retired;        /* instructions of this run: whole blocks entered, tail instructions */
    uint64_t budget;         /* never let `retired` pass it                                        */
    uint64_t block_budget;   /* = budget, or 0 during a tail run (no block is then counted whole)  */
    uint64_t space;          /* the address space running (CR3), part of the cache key             */
    uint64_t space_hash;     /* a hash of it, mixed into the cache index                           */
    uint64_t tail_begin;     /* [tail_begin, tail_end): counted per instruction by the tail hook   */
    uint64_t tail_end;       /*   (tail_begin == tail_end: no tail)                                */
    block_t *last;           /* the last block counted whole (for corrections from RIP), or NULL  */
    block_t last_copy;       /* a copy of it when its cache entry is reused                        */
    uint64_t stop_reason;    /* STOP_*: why this file stopped the CPU                              */
    uint64_t stop_address;   /* the block (or, for STOP_BREAKPOINT, the instruction) stopped at    */
    uint64_t stop_size;
    uint64_t misses;         /* cache misses (blocks asked of unicorn), for the curious            */
    uint64_t *breakpoints;   /* addresses to stop before, `breakpoint_count` of them               */
    uint64_t breakpoint_count;
    block_t *cache;          /* cache_mask + 1 entries (a power of two)                            */
    uint64_t cache_mask;
    uint64_t generation;     /* bumped to forget every cached block                               */
    uc_emu_stop_t emu_stop;  /* unicorn's uc_emu_stop                                              */
    uc_ctl_t ctl;            /* unicorn's uc_ctl                                                   */
    uint64_t request_cache;  /* the uc_ctl code of UC_CTL_TB_REQUEST_CACHE (read/write, 2 args)    */
} counter_t;

static int is_breakpoint_in(const counter_t *c, uint64_t begin, uint64_t end)
{
    for (uint64_t i = 0; i < c->breakpoint_count; i++) {
        if (c->breakpoints[i] >= begin && c->breakpoints[i] < end) {
            return 1;
        }
    }
    return 0;
}

static void stop(counter_t *c, void *uc, uint64_t reason, uint64_t address, uint64_t size)
{
    c->stop_reason = reason;
    c->stop_address = address;
    c->stop_size = size;
    c->emu_stop(uc);
}

static inline block_t *slot_of(const counter_t *c, uint64_t address)
{
    return &c->cache[(address ^ (address >> 11) ^ c->space_hash) & c->cache_mask];
}

static inline int holds(const counter_t *c, const block_t *entry, uint64_t address, uint32_t size)
{
    return entry->generation == (uint32_t)c->generation && entry->address == address && entry->size == size
        && entry->space == c->space;
}

/* Everything but the common case: a tail run, a cache miss, a stop. */
static __attribute__((noinline)) void on_block_slow(void *uc, uint64_t address, uint32_t size, counter_t *c)
{
    if (c->tail_end != c->tail_begin) {
        /* A tail run: the tail hook counts the block being run instruction by instruction;
         * reaching any other block ends the tail run before that block starts. */
        if (address - c->tail_begin >= c->tail_end - c->tail_begin) {
            stop(c, uc, STOP_TAIL_DONE, address, size);
        }
        return;
    }
    block_t *entry = slot_of(c, address);
    if (!holds(c, entry, address, size)) {
        uc_tb_t tb;
        c->misses++;
        if (c->ctl(uc, (int)c->request_cache, address, &tb) != 0 || tb.pc != address || tb.size != size
            || tb.icount == 0) {
            stop(c, uc, STOP_UNKNOWN_BLOCK, address, size);   /* the tail hook counts it instead */
            return;
        }
        if (c->last == entry) {        /* keep what the correction needs before reusing the entry */
            c->last_copy = *entry;
            c->last = &c->last_copy;
        }
        entry->address = address;
        entry->space = c->space;
        entry->size = size;
        entry->count = tb.icount;
        entry->holds_breakpoint = (uint32_t)is_breakpoint_in(c, address, address + size);
        entry->generation = (uint32_t)c->generation;
    }
    if (entry->holds_breakpoint) {
        stop(c, uc, STOP_BREAKPOINT_BLOCK, address, size);
    } else if (c->retired + entry->count > c->budget) {
        stop(c, uc, STOP_BUDGET, address, size);
    } else {
        c->retired += entry->count;
        c->last = entry;
    }
}

/* UC_HOOK_BLOCK: called by unicorn before the first instruction of each block. The common
 * case -- a cached block that fits the budget and holds no breakpoint -- is kept short. */
void icount_on_block(void *uc, uint64_t address, uint32_t size, counter_t *c)
{
    block_t *entry = slot_of(c, address);
    if (__builtin_expect(holds(c, entry, address, size), 1)) {
        uint64_t retired = c->retired + entry->count;
        if (__builtin_expect(retired <= c->block_budget && !entry->holds_breakpoint, 1)) {
            c->retired = retired;
            c->last = entry;
            return;
        }
    }
    on_block_slow(uc, address, size, c);
}

/* UC_HOOK_CODE bounded to [tail_begin, tail_end): called before each instruction there. */
void icount_on_tail_instruction(void *uc, uint64_t address, uint32_t size, counter_t *c)
{
    (void)size;
    if (c->retired >= c->budget) {
        stop(c, uc, STOP_BUDGET, address, 0);
    } else if (c->breakpoint_count && is_breakpoint_in(c, address, address + 1)) {
        stop(c, uc, STOP_BREAKPOINT, address, 0);
    } else {
        c->retired++;
    }
}

/* A Python extension module only so that setuptools builds and ships it;
 * machine/icount.py loads it with ctypes. */
static struct PyModuleDef icount_module = {
    PyModuleDef_HEAD_INIT, "_icount",
    "Native instruction counter for unicorn, per translated block (see machine/icount.py).", -1, NULL,
};

PyMODINIT_FUNC PyInit__icount(void) { return PyModule_Create(&icount_module); }
