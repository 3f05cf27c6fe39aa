// Package safefile opens the files a root daemon creates in a directory
// without following symbolic links, and checks that such a directory is
// not writable by other users.
//
// bancount runs as root and writes its state (P, P.lock, P.tmp,
// P.journal, P.journal.next, P.journal.tmp) and its --log file. Had any of
// those names been a link planted by another user, following it would let
// that user have root overwrite a file of their choice. Every open here
// adds O_NOFOLLOW (a link as the last element is refused with ELOOP) and
// O_CLOEXEC; [CheckDir] refuses a directory where another user could plant
// a link or a hard link in the first place.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// OpenFile is os.OpenFile that refuses a symbolic link as name.
func OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(name, flag|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, perm)
	if err != nil && errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%s is a %w: refused (no link is followed here)", name, ErrSymlink)
	}
	return f, err
}

// Open opens name for reading, refusing a symbolic link.
func Open(name string) (*os.File, error) { return OpenFile(name, os.O_RDONLY, 0) }

// ReadFile is os.ReadFile that refuses a symbolic link.
func ReadFile(name string) ([]byte, error) {
	f, err := Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// WriteFile is os.WriteFile (create, truncate) that refuses a symbolic link.
func WriteFile(name string, data []byte, perm os.FileMode) error {
	f, err := OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ErrSymlink is wrapped by the error of an open that met a link.
var ErrSymlink = errors.New("symbolic link")

// ErrUnsafeDir is wrapped by CheckDir's error.
var ErrUnsafeDir = errors.New("writable by other users")

// CheckDir refuses dir when a user other than its owner can create files
// in it (group or other write permission, sticky or not) or when it
// belongs to a user other than root and the calling user.
func CheckDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("directory %s (mode %v) is %w: another user could put a link there in place of a file written as %s; fix: chmod go-w %s, or use a directory only its owner can write",
			dir, fi.Mode(), ErrUnsafeDir, whoami(), dir)
	}
	if uid := uint32(os.Geteuid()); st.Uid != uid && st.Uid != 0 {
		return fmt.Errorf("directory %s belongs to uid %d, so it is %w (its owner can replace the files); fix: chown %d %s, or use a directory of your own",
			dir, st.Uid, ErrUnsafeDir, uid, dir)
	}
	return nil
}

func whoami() string {
	if os.Geteuid() == 0 {
		return "root"
	}
	return fmt.Sprintf("uid %d", os.Geteuid())
}
