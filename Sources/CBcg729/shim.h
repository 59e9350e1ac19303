// bcg729 (libbcg729-dev): the ITU-T G.729 Annex A/B codec, for Media's G729Codec.
#include <stdint.h>
#include <bcg729/encoder.h>
#include <bcg729/decoder.h>
