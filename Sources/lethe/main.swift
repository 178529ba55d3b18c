import CProcess
import Foundation

// Before any secret is read or any plaintext decrypted: no core file, not dumpable
// (Linux), so a crash or another process of this user cannot copy keys and messages.
if cprocess_disable_core_dumps() != 0 {
    FileHandle.standardError.write(Data("lethe: warning: could not disable core dumps: \(String(cString: strerror(errno)))\n".utf8))
}

// Every file lethe creates (archive, key file, export) is private to its owner.
umask(0o077)
// Past a file size limit (ulimit -f), a write fails with EFBIG and lethe reports it and rolls
// back, instead of being killed by SIGXFSZ half-way.
signal(SIGXFSZ, SIG_IGN)
Lethe.main()
