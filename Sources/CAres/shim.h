// c-ares (libc-ares-dev) for RFC 3263 server location: NAPTR, SRV and A queries sent to the
// phone's own DNS servers (dyn_dns_addr_1/2, or a test's dnsmasq on a loopback port).
#include <ares.h>
#include <arpa/nameser.h>

// The ARES_GETSOCK_READABLE/WRITABLE macros do not import: bit i is "readable", bit i+16
// "writable" (ares.h).
static inline int cares_readable(int bits, int i) { return (bits >> i) & 1; }
static inline int cares_writable(int bits, int i) { return (bits >> (i + 16)) & 1; }
