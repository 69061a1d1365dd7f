package broker

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeKeyFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(p, []byte(content), mode))
	require.NoError(t, os.Chmod(p, mode)) // WriteFile is subject to the umask
	return p
}

func TestKeyFromFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
		err     error
	}{
		{"plain", "s3cr3tK3y", 0o600, "s3cr3tK3y", nil},
		{"newline", "s3cr3tK3y\n", 0o600, "s3cr3tK3y", nil},
		{"crlf and spaces", "  s3cr3tK3y \r\n", 0o600, "s3cr3tK3y", nil},
		{"group-readable", "abc", 0o640, "abc", nil},
		{"punctuation", "a:b@c/d+e=", 0o400, "a:b@c/d+e=", nil},
		{"utf-8", "clé", 0o600, "clé", nil},
		{"max size", "k" + strings.Repeat(" ", MaxKeyFileLen-1), 0o600, "k", nil},
		{"empty", "", 0o600, "", ErrEmptyKey},
		{"blank", " \n\t\r\n", 0o600, "", ErrEmptyKey},
		{"two lines", "abc\ndef\n", 0o600, "", ErrBadKey},
		{"inner space", "abc def", 0o600, "", ErrBadKey},
		{"control", "abc\x00def", 0o600, "", ErrBadKey},
		{"del", "abc\x7f", 0o600, "", ErrBadKey},
		{"too large", strings.Repeat("k", MaxKeyFileLen+1), 0o600, "", ErrKeyFileTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeKeyFile(t, tt.content, tt.mode)
			got, err := KeyFromFile(p)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				assert.Empty(t, got)
				assert.Contains(t, err.Error(), p)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestKeyFromFileWorldReadable(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("mode bits are not checked outside Unix")
	}
	for _, mode := range []os.FileMode{0o644, 0o604, 0o666, 0o777} {
		p := writeKeyFile(t, "s3cr3tK3y\n", mode)
		_, err := KeyFromFile(p)
		require.ErrorIs(t, err, ErrKeyFileWorldReadable, "mode %v", mode)
		assert.NotContains(t, err.Error(), "s3cr3tK3y")
	}
}

func TestKeyFromFileMissing(t *testing.T) {
	_, err := KeyFromFile(filepath.Join(t.TempDir(), "nope"))
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestKeyFromFileDirectory(t *testing.T) {
	d := t.TempDir()
	require.NoError(t, os.Chmod(d, 0o700))
	_, err := KeyFromFile(d)
	require.Error(t, err)
}
