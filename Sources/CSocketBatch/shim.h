// recvmmsg(2): Swift's Glibc module is built without _GNU_SOURCE, so neither `struct mmsghdr`
// nor `recvmmsg` is visible from Swift, and defining _GNU_SOURCE here would give this module
// other definitions of glibc's structs than Glibc's (Clang refuses the mix). So the struct is
// declared here under its own name, with mmsghdr's layout (a msghdr and the length the kernel
// writes), and recvmmsg with it. The media thread reads each call's socket with one recvmmsg
// per frame (RTP's RTPReceiveBatch): every waiting datagram in one system call, and no second
// call that only says EAGAIN.
#include <stddef.h>
#include <sys/socket.h>

/// glibc's `struct mmsghdr` (<bits/socket.h> under _GNU_SOURCE).
struct socketbatch_message {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};

_Static_assert(sizeof(struct socketbatch_message) == sizeof(struct msghdr) + 8, "struct mmsghdr's layout");

extern int recvmmsg(int fd, struct socketbatch_message *vector, unsigned int count, int flags, void *timeout);

/// Up to `count` waiting datagrams into `messages`, without blocking: how many (≥ 1), or -1
/// with errno (EAGAIN: none waiting).
static inline int socketbatch_receive(int fd, struct socketbatch_message *_Nonnull messages, unsigned int count) {
    return recvmmsg(fd, messages, count, MSG_DONTWAIT, NULL);
}
