package fakenbd

// Protocol constants of
// https://github.com/NetworkBlockDevice/nbd/blob/master/doc/proto.md.
const (
	nbdMagic         = 0x4e42444d41474943 // "NBDMAGIC"
	optMagic         = 0x49484156454f5054 // "IHAVEOPT"
	optReplyMagic    = 0x0003e889045565a9
	requestMagic     = 0x25609513
	simpleReplyMagic = 0x67446698

	// handshake flags (server) and client flags
	flagFixedNewstyle = 1 << 0
	flagNoZeroes      = 1 << 1

	// options
	optExportName = 1
	optAbort      = 2
	optList       = 3
	optInfo       = 6
	optGo         = 7

	// option replies
	repAck        = 1
	repServer     = 2
	repInfo       = 3
	repErrUnsup   = 1<<31 + 1
	repErrInvalid = 1<<31 + 3
	repErrUnknown = 1<<31 + 6

	// information types
	infoExport    = 0
	infoBlockSize = 3

	// transmission flags
	transHasFlags  = 1 << 0
	transSendFlush = 1 << 2
	transSendFUA   = 1 << 3

	// commands and their flags
	cmdRead    = 0
	cmdWrite   = 1
	cmdDisc    = 2
	cmdFlush   = 3
	cmdFlagFUA = 1 << 0

	// errors
	errnoEIO       = 5
	errnoEINVAL    = 22
	errnoENOSPC    = 28
	errnoEOVERFLOW = 75
)

// Limits that keep a bad client from making the server allocate much.
const (
	// maxPayload is the largest read or write, and the maximum block size
	// advertised; qemu's own limit is the same 32 MiB.
	maxPayload = 32 << 20
	// maxOption is the largest option data accepted (a name is at most
	// 4096 bytes).
	maxOption = 8 << 10
)
