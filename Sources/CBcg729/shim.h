// bcg729 (libbcg729-dev): the ITU-T G.729 Annex A/B codec, for Media's G729Codec. Loaded at
// the first G.729 call, not at exec (see CALSA's shim): the header gives the prototypes,
// `cbcg729_bind_library` fills a table of the six functions from the dlopen'd library.
#include <stdint.h>
#include <dlfcn.h>
#include <stddef.h>
#include <bcg729/encoder.h>
#include <bcg729/decoder.h>

#define CBCG729_FUNCTION(name) __typeof__(name) *_Nonnull name

typedef struct {
    CBCG729_FUNCTION(initBcg729EncoderChannel);
    CBCG729_FUNCTION(closeBcg729EncoderChannel);
    CBCG729_FUNCTION(bcg729Encoder);
    CBCG729_FUNCTION(initBcg729DecoderChannel);
    CBCG729_FUNCTION(closeBcg729DecoderChannel);
    CBCG729_FUNCTION(bcg729Decoder);
} cbcg729_library;

/// Fills `library` from the dlopen'd `handle`: NULL, or the name of the first function missing.
static inline const char *_Nullable cbcg729_bind_library(void *_Nonnull handle, cbcg729_library *_Nonnull library) {
#define CBCG729_BIND(name) if ((*(void **)&library->name = dlsym(handle, #name)) == NULL) return #name;
    CBCG729_BIND(initBcg729EncoderChannel)
    CBCG729_BIND(closeBcg729EncoderChannel)
    CBCG729_BIND(bcg729Encoder)
    CBCG729_BIND(initBcg729DecoderChannel)
    CBCG729_BIND(closeBcg729DecoderChannel)
    CBCG729_BIND(bcg729Decoder)
#undef CBCG729_BIND
    return NULL;
}
