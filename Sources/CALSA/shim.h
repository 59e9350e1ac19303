#include <alsa/asoundlib.h>

/* snd_lib_error_set_handler takes a variadic handler, which Swift cannot write: a quiet one in C.
   ALSA otherwise prints its own errors on stderr; the phone reports them itself. */
static void calsa_quiet(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}
static inline void calsa_silence_errors(void) { snd_lib_error_set_handler(calsa_quiet); }
