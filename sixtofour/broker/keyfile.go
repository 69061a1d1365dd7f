package broker

import (
	"fmt"
	"io"
	"os"
)

// MaxKeyFileLen is the largest key file [KeyFromFile] reads.
const MaxKeyFileLen = 4096

// KeyFromFile reads an update key (or password) for [Client.Key] from the
// file at path, as `transit6 tunnel 6in4 --update-key-file` does, so that
// the key appears neither on the command line nor in the environment.
//
// White space around the key (a final newline, CR LF) is removed. The
// errors are those of opening and reading the file (errors.Is(err,
// fs.ErrNotExist) works), and, wrapped with the path:
//
//   - [ErrKeyFileWorldReadable] on Unix systems when every user may read the
//     file (permission bit o+r), as OpenSSH refuses such private keys; mode
//     0600 or 0640 is fine. Elsewhere the mode bits say nothing reliable
//     and are not checked;
//   - [ErrKeyFileTooLarge] for a file over [MaxKeyFileLen] bytes;
//   - [ErrEmptyKey] when nothing but white space is left;
//   - [ErrBadKey] when the key contains white space or control characters,
//     which no update key has (two lines, for instance).
func KeyFromFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if worldReadable(fi.Mode()) {
		return "", fmt.Errorf("%w: %s (mode %v)", ErrKeyFileWorldReadable, path, fi.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxKeyFileLen+1))
	if err != nil {
		return "", err
	}
	if len(b) > MaxKeyFileLen {
		return "", fmt.Errorf("%w: %s", ErrKeyFileTooLarge, path)
	}
	k := trimRight(trimLeft(b))
	if len(k) == 0 {
		return "", fmt.Errorf("%w: %s", ErrEmptyKey, path)
	}
	for _, c := range k {
		if c <= ' ' || c == 0x7f {
			return "", fmt.Errorf("%w: %s", ErrBadKey, path)
		}
	}
	return string(k), nil
}
