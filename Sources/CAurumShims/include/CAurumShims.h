#ifndef AURUM_SHIMS_H
#define AURUM_SHIMS_H
/// Atomically exchanges two paths (Linux renameat2 with RENAME_EXCHANGE).
/// Returns 0 on success, -1 with errno set otherwise.
int aurum_rename_exchange(const char *a, const char *b);
/// fsync a directory by path so a rename inside it is durable. Returns 0 or -1 (errno).
int aurum_fsync_dir(const char *path);
#endif
