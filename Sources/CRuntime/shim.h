// The pieces of the C and Swift runtimes the daemon tunes (issue 16).
//
// The Swift runtime's global-executor hooks (swift/Runtime/Concurrency.h in the Swift sources),
// which Scheduling's PhoneLoop.becomeGlobalExecutor sets. They are not in the dynamic symbol
// table of a --static-swift-stdlib binary (the runtime is linked with --exclude-libs ALL), so
// dlsym cannot find them; a declaration lets the linker resolve them. The accessors keep Swift 6
// from seeing a mutable C global.
#include <malloc.h>
#include <stddef.h>

extern void *_Nullable swift_task_enqueueGlobal_hook;
extern void *_Nullable swift_task_enqueueGlobalWithDelay_hook;
extern void *_Nullable swift_task_enqueueGlobalWithDeadline_hook;

static inline void *_Nullable *_Nonnull cconcurrency_enqueue_global_hook(void) { return &swift_task_enqueueGlobal_hook; }
static inline void *_Nullable *_Nonnull cconcurrency_enqueue_global_with_delay_hook(void) { return &swift_task_enqueueGlobalWithDelay_hook; }
static inline void *_Nullable *_Nonnull cconcurrency_enqueue_global_with_deadline_hook(void) { return &swift_task_enqueueGlobalWithDeadline_hook; }

// One malloc arena for the process: glibc reserves 64 MB of address space for each thread that
// allocates, most of the daemon's virtual size; the phone allocates on its one loop anyway.
static inline int cruntime_single_malloc_arena(void) { return mallopt(M_ARENA_MAX, 1); }

// Gives the heap's free pages back to the kernel (glibc's malloc_trim(0) releases every whole
// free page, not only the top of the heap): the boot's garbage, once it is over.
static inline int cruntime_trim_heap(void) { return malloc_trim(0); }

// deskphone-ssh, the daemon's child (issue 16), is sent `sig` when the daemon's thread that
// spawned it ends (prctl is variadic: Swift cannot call it).
#include <sys/prctl.h>
static inline int cruntime_die_with_parent(int sig) { return prctl(PR_SET_PDEATHSIG, sig); }
