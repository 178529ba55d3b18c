import Foundation

// Every file lethe creates (archive, key file, export) is private to its owner.
umask(0o077)
Lethe.main()
