/* Describes the sandbox it runs in, so the tools' results can be compared.
 *   probe count DIR          entries of DIR: how many, dirs, mount points, read-only
 *   probe facts NS... -- PATH...  type/mount/ro of each PATH, a few env vars, namespaces
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static int is_mount(const char *path, const struct stat *st)
{
    char parent[4096];
    struct stat pst;
    snprintf(parent, sizeof parent, "%s/..", path);
    if (stat(parent, &pst) < 0)
        return 0;
    return pst.st_dev != st->st_dev || pst.st_ino == st->st_ino;
}

static int is_ro(const char *path)
{
    struct statvfs v;
    return statvfs(path, &v) == 0 && (v.f_flag & ST_RDONLY);
}

static int count(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    long n = 0, dirs = 0, mounts = 0, ro = 0;
    char p[4096];
    struct stat st;
    if (!d) {
        perror(dir);
        return 1;
    }
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        n++;
        if (lstat(p, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode))
            dirs++;
        if (S_ISDIR(st.st_mode) && is_mount(p, &st))
            mounts++;
        if (is_ro(p))
            ro++;
    }
    closedir(d);
    printf("entries=%ld dirs=%ld mounts=%ld ro=%ld\n", n, dirs, mounts, ro);
    return 0;
}

static void show_ns(const char *name, const char *host)
{
    char p[64], buf[128];
    ssize_t k;
    snprintf(p, sizeof p, "/proc/self/ns/%s", name);
    k = readlink(p, buf, sizeof buf - 1);
    if (k < 0) {
        printf("ns %s: unreadable\n", name);
        return;
    }
    buf[k] = 0;
    printf("ns %s: %s\n", name, strcmp(buf, host) ? "new" : "host");
}

static int facts(int argc, char **argv)
{
    int i = 2;
    const char *vars[] = {"PATH", "SYSTEMD_OFFLINE", "TMPDIR", NULL};
    for (; i + 1 < argc && strcmp(argv[i], "--"); i += 2)
        show_ns(argv[i], argv[i + 1]);
    if (i < argc)
        i++;
    for (int v = 0; vars[v]; v++) {
        const char *s = getenv(vars[v]);
        printf("env %s=%s\n", vars[v], s ? s : "(unset)");
    }
    for (; i < argc; i++) {
        struct stat st;
        char t = '-', target[4096] = "";
        if (lstat(argv[i], &st) == 0) {
            if (S_ISDIR(st.st_mode))
                t = 'd';
            else if (S_ISREG(st.st_mode))
                t = 'f';
            else if (S_ISLNK(st.st_mode)) {
                ssize_t k = readlink(argv[i], target, sizeof target - 1);
                target[k > 0 ? k : 0] = 0;
                t = 'l';
            } else if (S_ISCHR(st.st_mode))
                t = 'c';
            else
                t = '?';
        }
        printf("%s: %c%s%s%s%s", argv[i], t, t == 'l' ? " -> " : "", target,
               t == 'd' && is_mount(argv[i], &st) ? " mount" : "",
               t != '-' && t != 'l' && is_ro(argv[i]) ? " ro" : "");
        if (t == 'f' && st.st_size < 64) {
            char buf[64];
            int fd = open(argv[i], O_RDONLY);
            ssize_t k = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
            if (k >= 0) {
                buf[k] = 0;
                printf(" content=\"%s\"", buf);
            }
        }
        putchar('\n');
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "count"))
        return count(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "facts"))
        return facts(argc, argv);
    fprintf(stderr, "usage: probe count DIR | probe facts [NS HOSTLINK]... -- PATH...\n");
    return 2;
}
