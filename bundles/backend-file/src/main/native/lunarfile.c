/*
 * liblunarfile: the few Linux calls the file backend needs and JDK 17 lacks (fallocate hole
 * punching, BLKDISCARD / BLKZEROOUT, lseek SEEK_DATA / SEEK_HOLE). Bound to
 * dev.lunar.backend.file.internal.NativeFileOps.
 *
 * Rules that keep this surface small and safe: every function takes plain ints and longs (the
 * Java side validated them), returns a non-negative result or -errno, never throws a Java
 * exception, never keeps state, and retries EINTR itself. The descriptor is the backend's own
 * (opened here, closed here), never a FileChannel's, so a channel closed by an interrupt can never
 * turn a later call into an operation on someone else's reused descriptor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jni.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define FN(name) Java_dev_lunar_backend_file_internal_NativeFileOps_##name

/* The ABI version the Java side checks, so a stale .so is reported instead of misbehaving. */
#define LUNARFILE_ABI 1

JNIEXPORT jint JNICALL FN(abiVersion0)(JNIEnv *env, jclass cls) {
    (void) env;
    (void) cls;
    return LUNARFILE_ABI;
}

/* open(2) of a NUL-free path given as bytes; O_CLOEXEC so no child process inherits the LUN. */
JNIEXPORT jint JNICALL FN(open0)(JNIEnv *env, jclass cls, jbyteArray path, jboolean writable) {
    (void) cls;
    jsize len = (*env)->GetArrayLength(env, path);
    if (len <= 0 || len > 4095) {
        return -ENAMETOOLONG;
    }
    char *p = malloc((size_t) len + 1);
    if (p == NULL) {
        return -ENOMEM;
    }
    (*env)->GetByteArrayRegion(env, path, 0, len, (jbyte *) p);
    if ((*env)->ExceptionCheck(env)) {
        (*env)->ExceptionClear(env);
        free(p);
        return -EINVAL;
    }
    p[len] = '\0';
    if (strlen(p) != (size_t) len) {
        free(p);
        return -EINVAL;
    }
    int fd;
    do {
        fd = open(p, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    int err = errno;
    free(p);
    return fd < 0 ? -err : fd;
}

JNIEXPORT jint JNICALL FN(close0)(JNIEnv *env, jclass cls, jint fd) {
    (void) env;
    (void) cls;
    /* No retry on EINTR: on Linux the descriptor is released anyway. */
    return close(fd) < 0 ? -errno : 0;
}

/* fallocate(PUNCH_HOLE | KEEP_SIZE): on a file, whole blocks are freed and partial ones zeroed;
 * on a block device the kernel zeroes the range with WRITE ZEROES that may deallocate, and fails
 * with EOPNOTSUPP rather than writing zeros itself. Either way the range reads as zeros after. */
JNIEXPORT jint JNICALL FN(punchHole0)(JNIEnv *env, jclass cls, jint fd, jlong offset, jlong length) {
    (void) env;
    (void) cls;
    int rc;
    do {
        rc = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t) offset, (off_t) length);
    } while (rc < 0 && errno == EINTR);
    return rc < 0 ? -errno : 0;
}

static jint range_ioctl(int fd, unsigned long request, jlong offset, jlong length) {
    uint64_t range[2] = {(uint64_t) offset, (uint64_t) length};
    int rc;
    do {
        rc = ioctl(fd, request, range);
    } while (rc < 0 && errno == EINTR);
    return rc < 0 ? -errno : 0;
}

/* BLKDISCARD: the device may forget the blocks; what they read as afterwards is the device's. */
JNIEXPORT jint JNICALL FN(discard0)(JNIEnv *env, jclass cls, jint fd, jlong offset, jlong length) {
    (void) env;
    (void) cls;
    return range_ioctl(fd, BLKDISCARD, offset, length);
}

/* BLKZEROOUT: the range reads as zeros afterwards (the kernel writes zeros if it must). */
JNIEXPORT jint JNICALL FN(zeroOut0)(JNIEnv *env, jclass cls, jint fd, jlong offset, jlong length) {
    (void) env;
    (void) cls;
    return range_ioctl(fd, BLKZEROOUT, offset, length);
}

static jlong seek(int fd, jlong offset, int whence) {
    off_t r = lseek(fd, (off_t) offset, whence);
    return r < 0 ? -(jlong) errno : (jlong) r;
}

/* lseek(SEEK_DATA): the first data byte at or after offset; -ENXIO when there is none. */
JNIEXPORT jlong JNICALL FN(seekData0)(JNIEnv *env, jclass cls, jint fd, jlong offset) {
    (void) env;
    (void) cls;
    return seek(fd, offset, SEEK_DATA);
}

/* lseek(SEEK_HOLE): the first hole byte at or after offset (end of file counts as a hole). */
JNIEXPORT jlong JNICALL FN(seekHole0)(JNIEnv *env, jclass cls, jint fd, jlong offset) {
    (void) env;
    (void) cls;
    return seek(fd, offset, SEEK_HOLE);
}

/* Bytes of storage the file holds (st_blocks * 512), for tests and diagnostics. */
JNIEXPORT jlong JNICALL FN(allocatedBytes0)(JNIEnv *env, jclass cls, jint fd) {
    (void) env;
    (void) cls;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        return -(jlong) errno;
    }
    return (jlong) st.st_blocks * 512;
}
