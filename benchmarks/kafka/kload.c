/*
 * kload: Kafka load generator for Weir's broker benchmark, on librdkafka (Debian: librdkafka-dev 2.0.2).
 * Built and driven by benchmarks/kafka/run.sh; every mode prints one "RESULT key=value ..." line.
 *
 *   kload create  -b HOST:PORT -t TOPIC -p PARTITIONS
 *   kload produce -b .. -t .. -s SIZE [-S SECONDS] [-W WARMUP] [-r RUNS] [-R RATE] [-K MAXQUEUE_KBYTES] [-Q MAXQUEUE] [-l LINGER_MS]
 *       acks=all, linger 5 ms, no compression, partition 0. Without -R: closed loop at the maximum rate the
 *       broker acknowledges (at most MAXQUEUE_KBYTES, default 8 MiB, of records queued or in flight in the client). With -R: open loop
 *       at RATE records/s; latency counted from each record's scheduled send time. Latency = produce() call
 *       to delivery report (acknowledgement), per record. Median of RUNS runs (by records/s; percentiles:
 *       median of the runs').
 *   kload peer    -b .. -t .. -s SIZE -n BATCH [-D 1.5] [-W 0.5] [-r 3]
 *       The peers' shape (/work/shared/bench-peers/loadgen.py): one producer, one connection, a batch of BATCH
 *       records is one Produce request (linger long, batch.num.messages = BATCH, max.in.flight = 1), the next
 *       batch is produced only when every record of the previous one is acknowledged. Latency per batch.
 *   kload consume -b .. -t .. [-S SECONDS] [-s SIZE] [-X KEY=VALUE ...]
 *       Reads partition 0 from the beginning to its end, again and again, for SECONDS; records/s and MB/s.
 *   kload conns   -b .. -t .. -p PARTITIONS -c CONNECTIONS -P BROKER_PID [-S SECONDS] [-R TOTAL_RATE]
 *       CONNECTIONS producers (one connection each) produce 1 KiB records to every partition for SECONDS,
 *       then, connections still open, the broker's VmRSS / VmHWM and the established connections are read.
 *   kload raw     -d DIR -s SIZE -n BATCH [-D 1.5] [-W 0.5] [-r 3]
 *       Baseline: pwrite of a batch-sized buffer (the RecordBatch's size) + fdatasync, one after another.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kload: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* Options */
static const char *brokers = "127.0.0.1:9092", *topic = "bench", *dir = "/var/tmp";
static const char *extra[16]; /* -X KEY=VALUE: librdkafka settings for the consumer */
static int nextra;
static int size = 100, batch = 1, runs = 3, partitions = 1, conns = 100, broker_pid = 0, linger_ms = 5;
static double seconds = 3, warm = 0.5, dur = 1.5, rate = 0;
static long maxqueue = 0, maxkbytes = 8192;

/* The peers' record: a JSON-ish payload padded to exactly `size` bytes (loadgen.payload). */
static char *payload(int n) {
    const char *head = "{\"ts\":1700000000123,\"user\":\"u004217\",\"ev\":\"page_view\",\"path\":\"/p/81234\",\"ms\":187,\"ok\":true,\"pad\":\"";
    const char *tail = "\"}";
    char *p = malloc((size_t)n + 1);
    size_t h = strlen(head), t = strlen(tail);
    if ((size_t)n <= h + t) {
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%s%s", head, tail);
        memcpy(p, tmp, (size_t)n);
    } else {
        memcpy(p, head, h);
        memset(p + h, 'x', (size_t)n - h - t);
        memcpy(p + n - t, tail, t);
    }
    p[n] = 0;
    return p;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* loadgen.percentile on a sorted array (nearest rank). */
static double pct(const double *xs, size_t n, double p) {
    if (n == 0) return NAN;
    long k = lround(p / 100.0 * (double)n + 0.5) - 1;
    if (k < 0) k = 0;
    if (k > (long)n - 1) k = (long)n - 1;
    return xs[k];
}

static double median3(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static rd_kafka_conf_t *base_conf(void) {
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (rd_kafka_conf_set(c, "bootstrap.servers", brokers, err, sizeof err) != RD_KAFKA_CONF_OK) die("%s", err);
    rd_kafka_conf_set(c, "log_level", "3", err, sizeof err);
    return c;
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v) {
    char err[512];
    if (rd_kafka_conf_set(c, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) die("config %s=%s: %s", k, v, err);
}

static void setl(rd_kafka_conf_t *c, const char *k, long v) {
    char b[32];
    snprintf(b, sizeof b, "%ld", v);
    set(c, k, b);
}

/* ---------------------------------------------------------------- create */
static int do_create(void) {
    char err[512];
    rd_kafka_conf_t *c = base_conf();
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    if (!rk) die("%s", err);
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, err, sizeof err);
    if (!nt) die("%s", err);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(opt, 30000, err, sizeof err);
    rd_kafka_CreateTopics(rk, &nt, 1, opt, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 60000);
    if (!ev) die("CreateTopics: no answer");
    if (rd_kafka_event_error(ev)) die("CreateTopics: %s", rd_kafka_event_error_string(ev));
    size_t cnt = 0;
    const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
    if (cnt != 1 || (rd_kafka_topic_result_error(res[0]) && rd_kafka_topic_result_error(res[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS))
        die("CreateTopics %s: %s", topic, cnt ? rd_kafka_topic_result_error_string(res[0]) : "no result");
    rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    printf("created %s with %d partitions\n", topic, partitions);
    return 0;
}

/* ---------------------------------------------------------------- produce (max rate / paced) */
struct pstate {
    uint64_t win_start, win_end;
    long acked, errors, win_acked;
    double *lat; /* ms */
    size_t nlat, cap;
    rd_kafka_resp_err_t last_err;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    struct pstate *s = opaque;
    uint64_t t = now_ns();
    if (m->err) {
        s->errors++;
        s->last_err = m->err;
        return;
    }
    s->acked++;
    if (t >= s->win_start && t < s->win_end) {
        s->win_acked++;
        if (s->nlat < s->cap) s->lat[s->nlat++] = (double)(t - (uint64_t)(uintptr_t)m->_private) / 1e6;
    }
}

static rd_kafka_t *producer(struct pstate *s, int lingerms, long batchmsgs, int inflight, long qmax, long qkb) {
    char err[512];
    rd_kafka_conf_t *c = base_conf();
    set(c, "acks", "all");
    setl(c, "linger.ms", lingerms);
    set(c, "compression.type", "none");
    set(c, "enable.idempotence", "false");
    if (batchmsgs > 0) setl(c, "batch.num.messages", batchmsgs);
    if (inflight > 0) setl(c, "max.in.flight.requests.per.connection", inflight);
    if (qmax > 0) setl(c, "queue.buffering.max.messages", qmax);
    setl(c, "queue.buffering.max.kbytes", qkb > 0 ? qkb : 2097151);
    set(c, "message.timeout.ms", "60000");
    set(c, "socket.nagle.disable", "true");
    rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
    rd_kafka_conf_set_opaque(c, s);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    if (!rk) die("%s", err);
    return rk;
}

/* Waits until the topic's leader is known, so the first run does not measure metadata lookups. */
static void wait_metadata(rd_kafka_t *rk, rd_kafka_topic_t *rkt) {
    const struct rd_kafka_metadata *md;
    for (int i = 0; i < 100; i++) {
        if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            int ok = md->topic_cnt == 1 && md->topics[0].err == 0 && md->topics[0].partition_cnt > 0;
            rd_kafka_metadata_destroy(md);
            if (ok) return;
        }
        usleep(100000);
    }
    die("no metadata for %s", topic);
}

static int do_produce(void) {
    char *p = payload(size);
    struct pstate s = {0};
    s.cap = 20u * 1000 * 1000;
    s.lat = malloc(s.cap * sizeof(double));
    long qmax = maxqueue > 0 ? maxqueue : 10000000;
    rd_kafka_t *rk = producer(&s, linger_ms, 0, 0, qmax, maxkbytes);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    wait_metadata(rk, rkt);
    double rps[16], p50[16], p99[16], p999[16], mbps[16];
    if (runs > 16) runs = 16;
    for (int r = 0; r < runs; r++) {
        s.nlat = 0;
        s.win_acked = 0;
        uint64_t t0 = now_ns();
        s.win_start = t0 + (uint64_t)(warm * 1e9);
        s.win_end = s.win_start + (uint64_t)(seconds * 1e9);
        uint64_t sent = 0;
        for (;;) {
            uint64_t t = now_ns();
            if (t >= s.win_end) break;
            uint64_t stamp = t;
            if (rate > 0) {
                uint64_t due = (uint64_t)((double)(t - t0) * rate / 1e9);
                if (sent >= due) {
                    rd_kafka_poll(rk, 0);
                    struct timespec ts = {0, 20000};
                    nanosleep(&ts, NULL);
                    continue;
                }
                stamp = t0 + (uint64_t)((double)sent * 1e9 / rate); /* scheduled time: no coordinated omission */
            }
            if (rd_kafka_produce(rkt, 0, 0, p, (size_t)size, NULL, 0, (void *)(uintptr_t)stamp) != 0) {
                rd_kafka_resp_err_t e = rd_kafka_last_error();
                if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                    rd_kafka_poll(rk, 1);
                    continue;
                }
                die("produce: %s", rd_kafka_err2str(e));
            }
            sent++;
            if ((sent & 63) == 0) rd_kafka_poll(rk, 0);
        }
        uint64_t fl = now_ns();
        while (rd_kafka_outq_len(rk) > 0 && now_ns() - fl < 60000000000ull) rd_kafka_poll(rk, 10);
        if (s.errors) die("%ld delivery errors (last: %s)", s.errors, rd_kafka_err2str(s.last_err));
        qsort(s.lat, s.nlat, sizeof(double), cmp_double);
        rps[r] = (double)s.win_acked / seconds;
        mbps[r] = rps[r] * size / 1e6;
        p50[r] = pct(s.lat, s.nlat, 50);
        p99[r] = pct(s.lat, s.nlat, 99);
        p999[r] = pct(s.lat, s.nlat, 99.9);
        fprintf(stderr, "  run %d: %.0f rec/s %.1f MB/s p50 %.2f p99 %.2f p99.9 %.2f ms\n", r + 1, rps[r], mbps[r], p50[r], p99[r], p999[r]);
    }
    char runsbuf[256] = "";
    for (int r = 0; r < runs; r++) snprintf(runsbuf + strlen(runsbuf), sizeof runsbuf - strlen(runsbuf), "%s%.0f", r ? "," : "", rps[r]);
    double mr = median3(rps, runs);
    printf("RESULT mode=%s size=%d linger_ms=%d maxqueue=%ld maxqueue_kbytes=%ld target_rate=%.0f recs_per_s=%.0f MBps=%.2f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f runs_recs_per_s=%s\n",
           rate > 0 ? "paced" : "max", size, linger_ms, qmax, maxkbytes, rate, mr, mr * size / 1e6, median3(p50, runs), median3(p99, runs),
           median3(p999, runs), runsbuf);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return 0;
}

/* ---------------------------------------------------------------- peer shape */
static int do_peer(void) {
    char *p = payload(size);
    struct pstate s = {0};
    s.win_end = UINT64_MAX;
    rd_kafka_t *rk = producer(&s, 1000, batch, 1, 0, 0);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    wait_metadata(rk, rkt);
    size_t cap = 4u * 1000 * 1000;
    double *lat = malloc(cap * sizeof(double));
    double rps[16], p50[16], p99[16], p999[16];
    long reqs[16];
    if (runs > 16) runs = 16;
    long target = 0;
    for (int r = 0; r < runs; r++) {
        for (int phase = 0; phase < 2; phase++) { /* 0: warm-up, 1: measured */
            uint64_t t0 = now_ns(), end = t0 + (uint64_t)((phase ? dur : warm) * 1e9);
            size_t n = 0, nreq = 0;
            for (;;) {
                uint64_t t = now_ns();
                if (t >= end) break;
                for (int i = 0; i < batch; i++) {
                    while (rd_kafka_produce(rkt, 0, 0, p, (size_t)size, NULL, 0, NULL) != 0) {
                        if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("produce: %s", rd_kafka_err2str(rd_kafka_last_error()));
                        rd_kafka_poll(rk, 1);
                    }
                }
                target += batch;
                uint64_t guard = now_ns();
                while (s.acked + s.errors < target) {
                    rd_kafka_poll(rk, 1);
                    if (now_ns() - guard > 30000000000ull) die("no acknowledgement within 30 s");
                }
                if (s.errors) die("%ld delivery errors (last: %s)", s.errors, rd_kafka_err2str(s.last_err));
                uint64_t t2 = now_ns();
                if (phase && nreq < cap) lat[nreq++] = (double)(t2 - t) / 1e6;
                n += (size_t)batch;
            }
            if (phase) {
                double el = (double)(now_ns() - t0) / 1e9;
                qsort(lat, nreq, sizeof(double), cmp_double);
                rps[r] = (double)n / el;
                p50[r] = pct(lat, nreq, 50);
                p99[r] = pct(lat, nreq, 99);
                p999[r] = pct(lat, nreq, 99.9);
                reqs[r] = (long)nreq;
            }
        }
    }
    /* the median run by records/s gives records/s and request count; percentiles are medians over runs */
    int idx[16];
    for (int i = 0; i < runs; i++) idx[i] = i;
    for (int i = 0; i < runs; i++)
        for (int j = i + 1; j < runs; j++)
            if (rps[idx[j]] < rps[idx[i]]) { int t = idx[i]; idx[i] = idx[j]; idx[j] = t; }
    int m = idx[runs / 2];
    char runsbuf[256] = "";
    for (int r = 0; r < runs; r++) snprintf(runsbuf + strlen(runsbuf), sizeof runsbuf - strlen(runsbuf), "%s%.0f", r ? "," : "", rps[idx[r]]);
    double mr = rps[m];
    long mreq = reqs[m];
    printf("RESULT peer=weir level=fsync-single-node client=librdkafka-2.0.2 conns=1 size=%d batch=%d recs_per_s=%.0f MBps=%.2f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f reqs=%ld runs_recs_per_s=%s\n",
           size, batch, mr, mr * size / 1e6, median3(p50, runs), median3(p99, runs), median3(p999, runs), mreq, runsbuf);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return 0;
}

/* ---------------------------------------------------------------- consume */
struct cstate {
    long msgs, bytes, eof;
};

static void consume_cb(rd_kafka_message_t *m, void *opaque) {
    struct cstate *c = opaque;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        c->eof = 1;
        return;
    }
    if (m->err) die("consume: %s", rd_kafka_message_errstr(m));
    c->msgs++;
    c->bytes += (long)m->len;
}

static int do_consume(void) {
    char err[512];
    rd_kafka_conf_t *c = base_conf();
    set(c, "enable.partition.eof", "true");
    /* What a throughput-minded user sets: librdkafka's fetch sizes (1 MiB per partition = Kafka's
     * max.partition.fetch.bytes, 50 MiB per response) and prefetch queue (64 MiB), a shorter fetch wait.
     * Larger per-partition fetches were slower here, not faster: 32 MiB responses (the earlier setting, with a
     * 1 GiB prefetch queue) make the client fault in fresh memory for every response (see docs/benchmarks.md). */
    set(c, "fetch.message.max.bytes", "1048576");
    set(c, "fetch.max.bytes", "52428800");
    set(c, "queued.max.messages.kbytes", "65536");
    set(c, "queued.min.messages", "100000");
    set(c, "fetch.wait.max.ms", "100");
    set(c, "check.crcs", "false");
    set(c, "group.id", "weir-bench-consume");
    set(c, "enable.auto.commit", "false");
    for (int i = 0; i < nextra; i++) { /* -X KEY=VALUE overrides, for trying consumer settings */
        char kv[256];
        snprintf(kv, sizeof kv, "%s", extra[i]);
        char *eq = strchr(kv, '=');
        *eq = 0;
        set(c, kv, eq + 1);
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
    if (!rk) die("%s", err);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(rk, topic, 0, &lo, &hi, 10000)) die("watermarks");
    struct cstate s = {0};
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)(seconds * 1e9);
    int passes = 0;
    while (now_ns() < end) {
        s.eof = 0;
        if (rd_kafka_consume_start(rkt, 0, RD_KAFKA_OFFSET_BEGINNING) == -1) die("consume_start: %s", rd_kafka_err2str(rd_kafka_last_error()));
        while (!s.eof && now_ns() < end) rd_kafka_consume_callback(rkt, 0, 100, consume_cb, &s);
        rd_kafka_consume_stop(rkt, 0);
        passes++;
    }
    double el = (double)(now_ns() - t0) / 1e9;
    printf("RESULT mode=consume size=%d log_records=%" PRId64 " log_MB=%.0f passes=%d recs_per_s=%.0f MBps=%.1f\n", size, hi - lo,
           (double)(hi - lo) * size / 1e6, passes, (double)s.msgs / el, (double)s.bytes / el / 1e6);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return 0;
}

/* ---------------------------------------------------------------- connections + partitions: RSS */
static long status_kb(int pid, const char *key) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') v = atol(line + kl + 1);
    fclose(f);
    return v;
}

/* Established TCP connections whose remote end is the broker's port (client side, this machine). */
static int count_conns(int port) {
    FILE *f = fopen("/proc/net/tcp", "r");
    if (!f) return -1;
    char line[512];
    int n = 0;
    if (!fgets(line, sizeof line, f)) { fclose(f); return -1; }
    while (fgets(line, sizeof line, f)) {
        unsigned la, lp, ra, rp, st;
        if (sscanf(line, " %*d: %x:%x %x:%x %x", &la, &lp, &ra, &rp, &st) == 5 && (int)rp == port && st == 1) n++;
    }
    fclose(f);
    return n;
}

static int do_conns(void) {
    char *p = payload(1024);
    int port = atoi(strrchr(brokers, ':') + 1);
    long hwm0 = status_kb(broker_pid, "VmHWM"), rss0 = status_kb(broker_pid, "VmRSS");
    struct pstate *st = calloc((size_t)conns, sizeof *st);
    rd_kafka_t **rk = calloc((size_t)conns, sizeof *rk);
    rd_kafka_topic_t **rkt = calloc((size_t)conns, sizeof *rkt);
    for (int i = 0; i < conns; i++) {
        st[i].win_end = UINT64_MAX;
        rk[i] = producer(&st[i], linger_ms, 0, 0, 100000, 0);
        rkt[i] = rd_kafka_topic_new(rk[i], topic, NULL);
    }
    for (int i = 0; i < conns; i++) wait_metadata(rk[i], rkt[i]);
    double total = rate > 0 ? rate : 20000;
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)(seconds * 1e9);
    uint64_t sent = 0;
    while (now_ns() < end) {
        uint64_t due = (uint64_t)((double)(now_ns() - t0) * total / 1e9);
        if (sent >= due) {
            for (int i = 0; i < conns; i++) rd_kafka_poll(rk[i], 0);
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
            continue;
        }
        int part = (int)(sent % (uint64_t)partitions), i = part % conns; /* every producer writes to its own partitions */
        if (rd_kafka_produce(rkt[i], part, 0, p, 1024, NULL, 0, NULL) != 0) {
            rd_kafka_poll(rk[i], 1);
            continue;
        }
        sent++;
    }
    long acked = 0, errors = 0;
    for (int i = 0; i < conns; i++) rd_kafka_flush(rk[i], 30000);
    for (int i = 0; i < conns; i++) acked += st[i].acked, errors += st[i].errors;
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL); /* connections idle but open */
    int nc = count_conns(port);
    long rss = status_kb(broker_pid, "VmRSS"), hwm = status_kb(broker_pid, "VmHWM");
    printf("RESULT mode=conns partitions=%d producers=%d established_conns=%d records_acked=%ld errors=%ld "
           "rss_before_MiB=%.1f hwm_before_MiB=%.1f rss_MiB=%.1f hwm_MiB=%.1f\n",
           partitions, conns, nc, acked, errors, rss0 / 1024.0, hwm0 / 1024.0, rss / 1024.0, hwm / 1024.0);
    for (int i = 0; i < conns; i++) {
        rd_kafka_topic_destroy(rkt[i]);
        rd_kafka_destroy(rk[i]);
    }
    return errors ? 1 : 0;
}

/* ---------------------------------------------------------------- raw pwrite + fdatasync baseline */
static int do_raw(void) {
    /* the RecordBatch a producer sends for this batch: 61-byte header + per record ~ size + 8..10 bytes */
    size_t len = 61 + (size_t)batch * (size_t)(size + (size < 120 ? 8 : 10));
    char *buf = malloc(len);
    memset(buf, 'x', len);
    char path[512];
    snprintf(path, sizeof path, "%s/raw-%d-%d.log", dir, size, batch);
    double rps[16], p50[16], p99[16], p999[16];
    size_t cap = 4u * 1000 * 1000;
    double *lat = malloc(cap * sizeof(double));
    if (runs > 16) runs = 16;
    for (int r = 0; r < runs; r++) {
        int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
        if (fd < 0) die("open %s: %s", path, strerror(errno));
        off_t off = 0;
        for (int phase = 0; phase < 2; phase++) {
            uint64_t t0 = now_ns(), end = t0 + (uint64_t)((phase ? dur : warm) * 1e9);
            size_t n = 0, nreq = 0;
            for (;;) {
                uint64_t t = now_ns();
                if (t >= end) break;
                if (pwrite(fd, buf, len, off) != (ssize_t)len) die("pwrite: %s", strerror(errno));
                off += (off_t)len;
                if (fdatasync(fd) != 0) die("fdatasync: %s", strerror(errno));
                if (phase && nreq < cap) lat[nreq++] = (double)(now_ns() - t) / 1e6;
                n += (size_t)batch;
            }
            if (phase) {
                double el = (double)(now_ns() - t0) / 1e9;
                qsort(lat, nreq, sizeof(double), cmp_double);
                rps[r] = (double)n / el;
                p50[r] = pct(lat, nreq, 50);
                p99[r] = pct(lat, nreq, 99);
                p999[r] = pct(lat, nreq, 99.9);
            }
        }
        close(fd);
        unlink(path);
    }
    double mr = median3(rps, runs);
    printf("RESULT peer=raw-file level=pwrite+fdatasync client=c conns=0 size=%d batch=%d recs_per_s=%.0f MBps=%.2f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f\n",
           size, batch, mr, mr * size / 1e6, median3(p50, runs), median3(p99, runs), median3(p999, runs));
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) die("usage: kload create|produce|peer|consume|conns|raw [options]; see the comment at the top of kload.c");
    const char *mode = argv[1];
    int o;
    optind = 2;
    while ((o = getopt(argc, argv, "b:t:s:S:W:r:R:Q:K:l:n:D:p:c:P:d:X:")) != -1) {
        switch (o) {
        case 'b': brokers = optarg; break;
        case 't': topic = optarg; break;
        case 's': size = atoi(optarg); break;
        case 'S': seconds = atof(optarg); break;
        case 'W': warm = atof(optarg); break;
        case 'r': runs = atoi(optarg); break;
        case 'R': rate = atof(optarg); break;
        case 'Q': maxqueue = atol(optarg); break;
        case 'K': maxkbytes = atol(optarg); break;
        case 'l': linger_ms = atoi(optarg); break;
        case 'n': batch = atoi(optarg); break;
        case 'D': dur = atof(optarg); break;
        case 'p': partitions = atoi(optarg); break;
        case 'c': conns = atoi(optarg); break;
        case 'P': broker_pid = atoi(optarg); break;
        case 'd': dir = optarg; break;
        case 'X':
            if (nextra == sizeof extra / sizeof extra[0] || !strchr(optarg, '=')) die("-X KEY=VALUE (at most 16)");
            extra[nextra++] = optarg;
            break;
        default: die("bad option");
        }
    }
    if (runs < 1) runs = 1;
    if (!strcmp(mode, "create")) return do_create();
    if (!strcmp(mode, "produce")) return do_produce();
    if (!strcmp(mode, "peer")) return do_peer();
    if (!strcmp(mode, "consume")) return do_consume();
    if (!strcmp(mode, "conns")) return do_conns();
    if (!strcmp(mode, "raw")) return do_raw();
    die("unknown mode %s", mode);
    return 2;
}
