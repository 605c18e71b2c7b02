// Command c2spcheck verifies an unzipped bewijsketen dossier bundle with the Go project's own
// signed-note and transparency-log packages (golang.org/x/mod/sumdb/note and .../tlog), as an
// inspector using standard tools would: the checkpoint's log signature, every tlog-proof's
// inclusion proof for the leaf rebuilt from events.jsonl (docs/audit.md), and optionally the
// consistency proof from a checkpoint held outside.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type event struct {
	Position    int64  `json:"position"`
	LeafIndex   int64  `json:"leaf_index"`
	AggregateID string `json:"aggregate_id"`
	Version     uint64 `json:"version"`
	Topic       string `json:"topic"`
	State       string `json:"state"`
}

type head struct {
	size int64
	root tlog.Hash
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func open(text []byte, verifier note.Verifier) head {
	n, err := note.Open(text, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint: not a checkpoint of %s", verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint: tree size: %v", err)
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail("checkpoint: root: %v", err)
	}
	return head{size, root}
}

func hashes(lines []string) []tlog.Hash {
	out := make([]tlog.Hash, 0, len(lines))
	for _, line := range lines {
		h, err := tlog.ParseHash(line)
		if err != nil {
			fail("bad hash %q: %v", line, err)
		}
		out = append(out, h)
	}
	return out
}

func leaf(e event) []byte {
	id, err := hex.DecodeString(strings.ReplaceAll(e.AggregateID, "-", ""))
	if err != nil || len(id) != 16 {
		fail("event %d: aggregate id %q", e.Position, e.AggregateID)
	}
	state, err := base64.StdEncoding.DecodeString(e.State)
	if err != nil {
		fail("event %d: state: %v", e.Position, err)
	}
	var b []byte
	b = append(b, 1)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Position))
	b = append(b, byte(len(id)))
	b = append(b, id...)
	b = binary.BigEndian.AppendUint64(b, e.Version)
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.Topic)))
	b = append(b, e.Topic...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(state)))
	return append(b, state...)
}

func main() {
	vkey := flag.String("vkey", "", "the log's verifier key")
	dir := flag.String("dir", "", "the unzipped bundle")
	held := flag.String("held", "", "a checkpoint held outside (optional)")
	flag.Parse()
	verifier, err := note.NewVerifier(*vkey)
	if err != nil {
		fail("vkey: %v", err)
	}
	checkpoint, err := os.ReadFile(filepath.Join(*dir, "checkpoint.txt"))
	if err != nil {
		fail("%v", err)
	}
	tree := open(checkpoint, verifier)

	file, err := os.Open(filepath.Join(*dir, "events.jsonl"))
	if err != nil {
		fail("%v", err)
	}
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 1<<20), 1<<26)
	proven := 0
	for scanner.Scan() {
		var e event
		if err := json.Unmarshal(scanner.Bytes(), &e); err != nil {
			fail("events.jsonl: %v", err)
		}
		text, err := os.ReadFile(filepath.Join(*dir, "proofs", fmt.Sprintf("%d.tlog-proof", e.Position)))
		if err != nil {
			fail("%v", err)
		}
		parts := strings.SplitN(string(text), "\n\n", 2)
		lines := strings.Split(parts[0], "\n")
		if lines[0] != "c2sp.org/tlog-proof@v1" || !strings.HasPrefix(lines[1], "index ") {
			fail("proof %d: not a tlog-proof", e.Position)
		}
		index, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "index "), 10, 64)
		if err != nil || index != e.LeafIndex {
			fail("proof %d: index %q", e.Position, lines[1])
		}
		if proofTree := open([]byte(parts[1]), verifier); proofTree != tree {
			fail("proof %d: another checkpoint", e.Position)
		}
		record := tlog.RecordHash(leaf(e))
		if err := tlog.CheckRecord(hashes(lines[2:]), tree.size, tree.root, index, record); err != nil {
			fail("proof %d: %v", e.Position, err)
		}
		proven++
	}
	if *held != "" {
		text, err := os.ReadFile(*held)
		if err != nil {
			fail("%v", err)
		}
		old := open(text, verifier)
		proof, err := os.ReadFile(filepath.Join(*dir, "consistency", fmt.Sprintf("%d.txt", old.size)))
		if err != nil {
			fail("%v", err)
		}
		lines := strings.Split(strings.TrimSuffix(string(proof), "\n"), "\n")
		if lines[0] != fmt.Sprintf("first %d", old.size) || lines[1] != fmt.Sprintf("second %d", tree.size) {
			fail("consistency: sizes %q %q", lines[0], lines[1])
		}
		if err := tlog.CheckTree(hashes(lines[2:]), tree.size, tree.root, old.size, old.root); err != nil {
			fail("consistency: %v", err)
		}
		fmt.Printf("consistent with the tree of %d\n", old.size)
	}
	fmt.Printf("OK %d proofs against the tree of %d\n", proven, tree.size)
}
