// ALSA (libasound2-dev), loaded when the phone first opens a sound card (`--audio alsa:…`), not
// at exec: a phone on a WAV pair, null audio or in a farm never maps libasound (284 kB resident
// and its relocations at every start, issue 16). The header gives the types; `calsa_bind_library` fills
// a table of the functions Media's ALSADevice calls from the dlopen'd library, with the header's
// own prototypes (`__typeof__`), so every call through the table is type-checked.
#include <alsa/asoundlib.h>
#include <dlfcn.h>
#include <stddef.h>

#define CALSA_FUNCTION(name) __typeof__(name) *_Nonnull name

typedef struct {
    CALSA_FUNCTION(snd_lib_error_set_handler);
    CALSA_FUNCTION(snd_pcm_open);
    CALSA_FUNCTION(snd_pcm_close);
    CALSA_FUNCTION(snd_pcm_drain);
    CALSA_FUNCTION(snd_pcm_start);
    CALSA_FUNCTION(snd_pcm_readi);
    CALSA_FUNCTION(snd_pcm_writei);
    CALSA_FUNCTION(snd_pcm_recover);
    CALSA_FUNCTION(snd_strerror);
    CALSA_FUNCTION(snd_pcm_hw_params_malloc);
    CALSA_FUNCTION(snd_pcm_hw_params_free);
    CALSA_FUNCTION(snd_pcm_hw_params_any);
    CALSA_FUNCTION(snd_pcm_hw_params);
    CALSA_FUNCTION(snd_pcm_hw_params_set_rate_resample);
    CALSA_FUNCTION(snd_pcm_hw_params_set_access);
    CALSA_FUNCTION(snd_pcm_hw_params_set_format);
    CALSA_FUNCTION(snd_pcm_hw_params_set_channels);
    CALSA_FUNCTION(snd_pcm_hw_params_set_rate_near);
    CALSA_FUNCTION(snd_pcm_hw_params_set_period_size_near);
    CALSA_FUNCTION(snd_pcm_hw_params_set_buffer_size_near);
} calsa_library;

/// Fills `library` from the dlopen'd `handle`: NULL, or the name of the first function missing.
static inline const char *_Nullable calsa_bind_library(void *_Nonnull handle, calsa_library *_Nonnull library) {
#define CALSA_BIND(name) if ((*(void **)&library->name = dlsym(handle, #name)) == NULL) return #name;
    CALSA_BIND(snd_lib_error_set_handler)
    CALSA_BIND(snd_pcm_open)
    CALSA_BIND(snd_pcm_close)
    CALSA_BIND(snd_pcm_drain)
    CALSA_BIND(snd_pcm_start)
    CALSA_BIND(snd_pcm_readi)
    CALSA_BIND(snd_pcm_writei)
    CALSA_BIND(snd_pcm_recover)
    CALSA_BIND(snd_strerror)
    CALSA_BIND(snd_pcm_hw_params_malloc)
    CALSA_BIND(snd_pcm_hw_params_free)
    CALSA_BIND(snd_pcm_hw_params_any)
    CALSA_BIND(snd_pcm_hw_params)
    CALSA_BIND(snd_pcm_hw_params_set_rate_resample)
    CALSA_BIND(snd_pcm_hw_params_set_access)
    CALSA_BIND(snd_pcm_hw_params_set_format)
    CALSA_BIND(snd_pcm_hw_params_set_channels)
    CALSA_BIND(snd_pcm_hw_params_set_rate_near)
    CALSA_BIND(snd_pcm_hw_params_set_period_size_near)
    CALSA_BIND(snd_pcm_hw_params_set_buffer_size_near)
#undef CALSA_BIND
    return NULL;
}

/* snd_lib_error_set_handler takes a variadic handler, which Swift cannot write: a quiet one in C.
   ALSA otherwise prints its own errors on stderr; the phone reports them itself. */
static void calsa_quiet(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}
static inline void calsa_silence_errors(const calsa_library *_Nonnull library) { library->snd_lib_error_set_handler(calsa_quiet); }
