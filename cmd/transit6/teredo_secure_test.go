package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyFile writes key to a new file and returns its path.
func keyFile(t *testing.T, key []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "teredo.key")
	require.NoError(t, os.WriteFile(p, key, 0o600))
	return p
}

// TestTeredoSecureFlags: --secure-key (and the client's --client-id) reach
// the engine configurations, the key being every byte of the file.
func TestTeredoSecureFlags(t *testing.T) {
	key := []byte("shared secret\n")
	path := keyFile(t, key)

	f, err := parseClientFlags([]string{"--server", "198.51.100.1", "--secure-key", path, "--client-id", "client-7"}, io.Discard)
	require.NoError(t, err)
	cfg, err := clientConfig(context.Background(), f, nil)
	require.NoError(t, err)
	assert.Equal(t, key, cfg.Engine.SecureKey)
	assert.Equal(t, []byte("client-7"), cfg.Engine.ClientID)

	f, err = parseClientFlags([]string{"--server", "198.51.100.1", "--secure-key", path}, io.Discard)
	require.NoError(t, err)
	cfg, err = clientConfig(context.Background(), f, nil)
	require.NoError(t, err)
	assert.Equal(t, key, cfg.Engine.SecureKey)
	assert.Empty(t, cfg.Engine.ClientID)

	f, err = parseClientFlags([]string{"--server", "198.51.100.1"}, io.Discard)
	require.NoError(t, err)
	cfg, err = clientConfig(context.Background(), f, nil)
	require.NoError(t, err)
	assert.Nil(t, cfg.Engine.SecureKey, "off by default")
	assert.Nil(t, cfg.Engine.ClientID)

	sf, err := parseServerFlags([]string{"--primary", "198.51.100.1", "--secure-key", path}, io.Discard)
	require.NoError(t, err)
	scfg, err := serverConfig(sf, nil)
	require.NoError(t, err)
	assert.Equal(t, key, scfg.Engine.SecureKey)

	sf, err = parseServerFlags([]string{"--primary", "198.51.100.1"}, io.Discard)
	require.NoError(t, err)
	scfg, err = serverConfig(sf, nil)
	require.NoError(t, err)
	assert.Nil(t, scfg.Engine.SecureKey, "off by default")
}

// TestTeredoSecureFlagErrors: a missing, empty or oversized key file, a
// client identifier without a key or too long: exit status 2 with the
// reason, before any socket or interface is made.
func TestTeredoSecureFlagErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.key")
	empty := keyFile(t, nil)
	huge := keyFile(t, make([]byte, maxKeyFile+1))
	good := keyFile(t, []byte("k"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"client", "--server", "198.51.100.1", "--secure-key", missing}, "--secure-key"},
		{[]string{"client", "--server", "198.51.100.1", "--secure-key", empty}, "0 bytes"},
		{[]string{"client", "--server", "198.51.100.1", "--secure-key", huge}, "4097 bytes"},
		{[]string{"client", "--server", "198.51.100.1", "--secure-key", dir}, "--secure-key"},
		{[]string{"client", "--server", "198.51.100.1", "--client-id", "c7"}, "--client-id needs --secure-key"},
		{[]string{"client", "--server", "198.51.100.1", "--secure-key", good, "--client-id", strings.Repeat("x", 256)}, "at most 255"},
		{[]string{"server", "--primary", "198.51.100.1", "--secure-key", missing}, "--secure-key"},
		{[]string{"server", "--primary", "198.51.100.1", "--secure-key", empty}, "0 bytes"},
		{[]string{"server", "--primary", "198.51.100.1", "--secure-key", huge}, "4097 bytes"},
	} {
		_, errOut, st := runCmd(t, "", append([]string{"teredo"}, tc.args...)...)
		assert.Equal(t, 2, st, "%v: %s", tc.args, errOut)
		assert.Contains(t, errOut, tc.want, "%v", tc.args)
	}
}
