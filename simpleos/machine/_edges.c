/*
 * _edges.c -- the edge-coverage recorder: a block hook for the fuzzer.
 *
 * unicorn calls edges_on_block() at the start of every translated block in
 * the hooked address range (a UC_HOOK_BLOCK hook installed by
 * machine/edges.py, only while a fuzzer runs). Each call records the edge
 * from the previous block to this one, the way AFL does: both block
 * addresses are hashed to a slot number, the edge is slot(previous) / 2
 * XOR slot(current), and its byte in the map counts how often the edge was
 * taken (saturating at 255). The shift makes A->B and B->A different edges.
 *
 * It also bounds the run: after `budget` blocks it stops the CPU, so the
 * fuzzer can switch off the per-instruction counter of _icount.c (which
 * costs it half its speed: the sensor's blocks are short) and still never
 * hang on a guest loop.
 *
 * A Python callback here costs about 0.6 us per block: the sensor runs some
 * 300 blocks per event, which would cap the fuzzer at 2,700 executions per
 * second. This costs a few nanoseconds.
 *
 * It must not do anything else: no policy (what counts as new coverage is
 * decided in simpleos/fuzz/coverage.py), no Python calls.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

typedef struct {
    uint8_t *map;       /* one hit counter per edge slot                  */
    uint64_t mask;      /* number of slots - 1 (a power of two)           */
    uint64_t previous;  /* slot of the previous block, shifted right by 1 */
    uint64_t blocks;    /* blocks started since the budget was armed      */
    uint64_t budget;    /* stop before the block that would exceed it     */
    int (*emu_stop)(void *uc);  /* unicorn's uc_emu_stop                  */
} edges_t;

/* A slot for a block address: Fibonacci hashing, then the low bits. */
static uint64_t slot_of(uint64_t address, uint64_t mask)
{
    return ((address * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

/* Called by unicorn at the start of each block at `address`. */
void edges_on_block(void *uc, uint64_t address, uint32_t size, edges_t *edges)
{
    (void)size;
    if (edges->blocks >= edges->budget) {
        edges->emu_stop(uc);
        return;
    }
    edges->blocks++;
    uint64_t current = slot_of(address, edges->mask);
    uint8_t *counter = &edges->map[current ^ edges->previous];
    if (*counter != 255)
        (*counter)++;
    edges->previous = current >> 1;
}

/* A Python extension module only so that setuptools builds and ships it;
 * machine/edges.py loads it with ctypes. */
static struct PyModuleDef edges_module = {
    PyModuleDef_HEAD_INIT, "_edges",
    "Native edge-coverage block hook for unicorn (see machine/edges.py).", -1, NULL,
};

PyMODINIT_FUNC PyInit__edges(void) { return PyModule_Create(&edges_module); }
