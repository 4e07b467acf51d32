// sessionctl: find, show and revoke web-application sessions stored in Redis or in SQL tables.
// Everything lives in SessionCtlCLI; this file only runs it and exits with its status.
import SessionCtlCLI

#if canImport(Glibc)
    import Glibc
#endif

exit(SessionCtl.main())
