package compress

import (
	"crypto/sha3"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Level selects the zstd compression effort. Every level produces blobs any
// decoder can read; higher levels trade encoding time for size.
type Level int

// The levels, mapped to zstd's SpeedFastest, SpeedDefault,
// SpeedBetterCompression and SpeedBestCompression.
const (
	LevelFastest Level = iota + 1
	LevelDefault
	LevelBetter
	LevelBest
)

// String returns the level's name.
func (l Level) String() string {
	switch l {
	case LevelFastest:
		return "fastest"
	case LevelDefault:
		return "default"
	case LevelBetter:
		return "better"
	case LevelBest:
		return "best"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// encoderWindow is the zstd window Encode writes at every level. It equals
// DefaultLimits.MaxWindow so that everything Encode produces decodes under
// the default limits (size and ratio permitting). The zstd encoder shrinks
// the window further for inputs smaller than it.
const encoderWindow = defaultMaxWindow

// encoders pools one zstd encoder per level: building an encoder allocates
// its match tables, which would dominate encoding small inputs. EncodeAll
// resets the encoder's state on every call, so reuse cannot change output.
var encoders [LevelBest + 1]sync.Pool

func zstdLevel(l Level) zstd.EncoderLevel {
	switch l {
	case LevelFastest:
		return zstd.SpeedFastest
	case LevelDefault:
		return zstd.SpeedDefault
	case LevelBetter:
		return zstd.SpeedBetterCompression
	default:
		return zstd.SpeedBestCompression
	}
}

func getEncoder(l Level) (*zstd.Encoder, error) {
	if e, ok := encoders[l].Get().(*zstd.Encoder); ok {
		return e, nil
	}
	return zstd.NewWriter(nil,
		// The level sets its own default window (4 MiB for fastest), so the
		// explicit window comes after it: options apply in order.
		zstd.WithEncoderLevel(zstdLevel(l)),
		zstd.WithWindowSize(encoderWindow),
		// One goroutine: output must not depend on scheduling, and module
		// builds must be reproducible byte for byte.
		zstd.WithEncoderConcurrency(1),
		// The format needs exactly one frame, even for empty input.
		zstd.WithZeroFrames(true),
		// zstd's own checksum is redundant with the SHA3-512 digest, but it
		// is 4 bytes and lets the decoder stop at the damaged block.
		zstd.WithEncoderCRC(true),
	)
}

// Encode compresses plain into a SKYZ blob at the given level. For a given
// plain input, level and version of this package, the output is always the
// same bytes. It returns an error wrapping ErrLevel for an unknown level.
//
// Encode applies no Limits: a blob of more than DefaultLimits.MaxPlainSize,
// or one compressing better than DefaultLimits.MaxRatio (long runs of one
// byte do), decodes only with larger limits.
func Encode(plain []byte, level Level) ([]byte, error) {
	if level < LevelFastest || level > LevelBest {
		return nil, fmt.Errorf("%w: %d (want %d..%d)", ErrLevel, int(level), LevelFastest, LevelBest)
	}
	enc, err := getEncoder(level)
	if err != nil {
		return nil, fmt.Errorf("compress: creating the zstd encoder: %w", err)
	}
	defer encoders[level].Put(enc)

	// Size the buffer for a typical executable (about 3:1) so most encodes
	// append without reallocating.
	out := make([]byte, 0, HeaderSize+len(plain)/3+64)
	out = appendHeader(out, uint64(len(plain)), sha3.Sum512(plain))
	return enc.EncodeAll(plain, out), nil
}
