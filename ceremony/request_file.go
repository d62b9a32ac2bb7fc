package ceremony

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/plings/walletconsole/model"
)

// RequestFileFormat names the export format; a file with another format is
// refused. v2: the request and witnesses inside it have snake_case keys (v1
// had Go field names), so a v1 file is refused with "export it again" rather
// than read with its fields missing.
const RequestFileFormat = "wallet-console/creation-request/v2"

// Namespace is the ssh-keygen -Y namespace witnesses sign in.
const Namespace = "wallet-ceremony@plings.io"

// RequestFile is what `console request export` writes for the air-gapped
// ceremony machine: the approved request, its approvals, the witness roster and
// the version number the new wallet will take.
type RequestFile struct {
	Format      string                `json:"format"`
	ExportedAt  time.Time             `json:"exported_at"`
	ExportedBy  string                `json:"exported_by"`
	Request     model.CreationRequest `json:"request"`
	Witnesses   []model.Witness       `json:"witnesses"`
	Required    int                   `json:"witnesses_required"` // default 3
	NextVersion int                   `json:"next_version"`
	// AuditHead is the connected database's last audit row hash (hex) at export,
	// so the transcript anchors the log's head outside the database.
	AuditHead string `json:"audit_head,omitempty"`
}

// WriteRequestFile writes rf to path, refusing to overwrite anything there.
func WriteRequestFile(path string, rf *RequestFile) error {
	if rf.Format == "" {
		rf.Format = RequestFileFormat
	}
	js, err := json.MarshalIndent(rf, "", "  ")
	if err != nil {
		return fmt.Errorf("write request file %s: %w", path, err)
	}
	return writeNew(path, append(js, '\n'))
}

// ReadRequestFile reads and parses a request file (it does not judge it: see Check).
func ReadRequestFile(path string) (*RequestFile, error) {
	b, err := model.ReadFileLimit(path, model.MaxRequestFileBytes)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read request file: %s does not exist; check the path on the removable media", path)
		}
		return nil, fmt.Errorf("read request file: %w", err)
	}
	var rf RequestFile
	if err := json.Unmarshal(b, &rf); err != nil {
		return nil, fmt.Errorf("read request file %s: not a request export (%v)", path, err)
	}
	if rf.Format != RequestFileFormat {
		return nil, fmt.Errorf("read request file %s: format %q, want %q; export it again with this console", path, rf.Format, RequestFileFormat)
	}
	return &rf, nil
}

// writeNew creates path with O_EXCL (never overwrites) and syncs it.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists and is never overwritten; choose another file name", path)
		}
		return fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}
