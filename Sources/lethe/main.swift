import Foundation

// Every file lethe creates (archive, key file, export) is private to its owner.
umask(0o077)
// Past a file size limit (ulimit -f), a write fails with EFBIG and lethe reports it and rolls
// back, instead of being killed by SIGXFSZ half-way.
signal(SIGXFSZ, SIG_IGN)
Lethe.main()
