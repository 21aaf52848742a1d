/*
 * The floor of bench/cache-hits.sh: an HTTP/1.1 upstream that does no work. It answers each
 * request with a response read from a file at start (the origin's own headers for that
 * path, X-Accel-Redirect included), so nginx's X-Accel hand-off can be measured with an
 * upstream that costs one read and one write per request and nothing else.
 *
 *   floor-upstream <port> <responses file>
 *
 * The responses file holds records "<path>\n<byte count>\n<response bytes>". A path not in
 * it gets a 404. One thread, epoll, keep-alive; requests without a body only (GET, HEAD),
 * which is all nginx sends it in the benchmark. Loopback only.
 */
#define _GNU_SOURCE /* memmem, accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_RESPONSES 256
#define BUFFER 16384

struct response { char *path; char *bytes; size_t length; };
static struct response responses[MAX_RESPONSES];
static int nresponses;
static const char NOT_FOUND[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

struct connection { int fd; size_t used; char buffer[BUFFER]; };

static void die(const char *what) { perror(what); exit(1); }

static void load(const char *file) {
    FILE *in = fopen(file, "r");
    if (!in) die(file);
    char path[4096];
    size_t length;
    while (nresponses < MAX_RESPONSES && fscanf(in, "%4095s %zu", path, &length) == 2) {
        if (fgetc(in) != '\n') { fprintf(stderr, "%s: bad record\n", file); exit(1); }
        struct response *r = &responses[nresponses++];
        r->path = strdup(path);
        r->bytes = malloc(length);
        r->length = length;
        if (!r->bytes || fread(r->bytes, 1, length, in) != length) { fprintf(stderr, "%s: short\n", file); exit(1); }
    }
    fclose(in);
    if (nresponses == 0) { fprintf(stderr, "%s: no responses\n", file); exit(1); }
}

static int send_all(int fd, const char *bytes, size_t length) {
    while (length > 0) {
        ssize_t n = send(fd, bytes, length, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1; /* responses are far smaller than a socket buffer */
        bytes += n;
        length -= (size_t) n;
    }
    return 0;
}

/* Answers every complete request in the buffer; -1 when the connection should close. */
static int serve(struct connection *c) {
    for (;;) {
        char *end = memmem(c->buffer, c->used, "\r\n\r\n", 4);
        if (!end) return c->used == BUFFER ? -1 : 0;
        size_t request = (size_t) (end + 4 - c->buffer);
        char *sp1 = memchr(c->buffer, ' ', request);
        char *sp2 = sp1 ? memchr(sp1 + 1, ' ', request - (size_t) (sp1 + 1 - c->buffer)) : NULL;
        if (!sp2) return -1;
        size_t plen = (size_t) (sp2 - sp1 - 1);
        const char *bytes = NOT_FOUND;
        size_t length = sizeof NOT_FOUND - 1;
        for (int i = 0; i < nresponses; i++) {
            if (strlen(responses[i].path) == plen && memcmp(responses[i].path, sp1 + 1, plen) == 0) {
                bytes = responses[i].bytes;
                length = responses[i].length;
                break;
            }
        }
        if (send_all(c->fd, bytes, length) < 0) return -1;
        memmove(c->buffer, c->buffer + request, c->used - request);
        c->used -= request;
    }
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s <port> <responses file>\n", argv[0]); return 2; }
    load(argv[2]);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (listener < 0) die("socket");
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((unsigned short) atoi(argv[1])) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *) &address, sizeof address) < 0) die("bind");
    if (listen(listener, 512) < 0) die("listen");
    int epoll = epoll_create1(0);
    if (epoll < 0) die("epoll_create1");
    struct epoll_event event = { .events = EPOLLIN, .data.ptr = NULL };
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event) < 0) die("epoll_ctl");
    struct epoll_event ready[64];
    for (;;) {
        int n = epoll_wait(epoll, ready, 64, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("epoll_wait");
        for (int i = 0; i < n; i++) {
            struct connection *c = ready[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct connection *added = calloc(1, sizeof *added);
                    if (!added) die("calloc");
                    added->fd = fd;
                    struct epoll_event e = { .events = EPOLLIN, .data.ptr = added };
                    if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &e) < 0) die("epoll_ctl");
                }
                continue;
            }
            ssize_t got = recv(c->fd, c->buffer + c->used, BUFFER - c->used, 0);
            if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (got > 0) {
                c->used += (size_t) got;
                if (serve(c) == 0) continue;
            }
            close(c->fd); /* also leaves the epoll set */
            free(c);
        }
    }
}
