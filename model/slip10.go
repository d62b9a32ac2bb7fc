package model

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// SLIP-0010 Ed25519 derivation (https://github.com/satoshilabs/slips,
// slip-0010.md): the master key is HMAC-SHA512 keyed "ed25519 seed" over the
// seed, and a child is HMAC-SHA512 keyed by the parent's chain code over
// 0x00 || parent key || ser32(index). Ed25519 has hardened derivation only,
// which is why every level of an HD prefix (HDPrefix) is hardened.

// HardenedOffset is added to an index to harden it (the ' in a path).
const HardenedOffset uint32 = 1 << 31

// SLIP10Key is a node of the derivation: its private key (an Ed25519 seed)
// and its chain code.
type SLIP10Key struct {
	Key       [32]byte
	ChainCode [32]byte
}

func slip10Node(key, data []byte) SLIP10Key {
	mac := hmac.New(sha512.New, key)
	mac.Write(data)
	sum := mac.Sum(nil)
	var k SLIP10Key
	copy(k.Key[:], sum[:32])
	copy(k.ChainCode[:], sum[32:])
	return k
}

// SLIP10Master is the master node of a seed of 16 to 64 bytes.
func SLIP10Master(seed []byte) (SLIP10Key, error) {
	if len(seed) < 16 || len(seed) > 64 {
		return SLIP10Key{}, fmt.Errorf("a SLIP-0010 seed is 16 to 64 bytes, not %d", len(seed))
	}
	return slip10Node([]byte("ed25519 seed"), seed), nil
}

// Child derives the child at index, which must be hardened (at least
// HardenedOffset): Ed25519 has no public derivation.
func (k SLIP10Key) Child(index uint32) (SLIP10Key, error) {
	if index < HardenedOffset {
		return SLIP10Key{}, fmt.Errorf("SLIP-0010 Ed25519 derives hardened children only: index %d is not hardened (write %d')", index, index)
	}
	data := make([]byte, 0, 37)
	data = append(data, 0)
	data = append(data, k.Key[:]...)
	data = binary.BigEndian.AppendUint32(data, index)
	return slip10Node(k.ChainCode[:], data), nil
}

// PublicKey is the node's Ed25519 public key.
func (k SLIP10Key) PublicKey() ed25519.PublicKey {
	return ed25519.NewKeyFromSeed(k.Key[:]).Public().(ed25519.PublicKey)
}

// SLIP10Derive derives the node at path (as ParseSLIP10Path returns it)
// from seed.
func SLIP10Derive(seed []byte, path []uint32) (SLIP10Key, error) {
	k, err := SLIP10Master(seed)
	if err != nil {
		return k, err
	}
	for _, i := range path {
		if k, err = k.Child(i); err != nil {
			return k, err
		}
	}
	return k, nil
}

// ParseSLIP10Path reads "m", "m/0'/1'" or "m/0H/1H" into hardened indexes;
// a level that is not hardened is refused (Ed25519 cannot derive it).
func ParseSLIP10Path(s string) ([]uint32, error) {
	segs := strings.Split(s, "/")
	if segs[0] != "m" {
		return nil, fmt.Errorf("derivation path %q must start with m", s)
	}
	out := make([]uint32, 0, len(segs)-1)
	for i, seg := range segs[1:] {
		c, ok := strings.CutSuffix(seg, "'")
		if !ok {
			c, ok = strings.CutSuffix(seg, "H")
		}
		if !ok {
			return nil, fmt.Errorf("derivation path %q: level %d %q is not hardened (Ed25519 derives hardened levels only)", s, i+1, seg)
		}
		n, err := strconv.ParseUint(c, 10, 32)
		if err != nil || n >= uint64(HardenedOffset) || (len(c) > 1 && c[0] == '0') {
			return nil, fmt.Errorf("derivation path %q: level %d %q is not a number from 0 to %d", s, i+1, seg, HardenedOffset-1)
		}
		out = append(out, uint32(n)+HardenedOffset)
	}
	return out, nil
}

// SLIP10Vector is one published test vector: the node at Path from Seed.
type SLIP10Vector struct {
	Chain     int // 1 or 2, as slip-0010.md numbers them
	Seed      string
	Path      string
	ChainCode string
	Private   string
	Public    string // with the leading 00 the specification writes
}

const (
	slip10Seed1 = "000102030405060708090a0b0c0d0e0f"
	slip10Seed2 = "fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542"
)

// SLIP10Vectors are SLIP-0010's published Ed25519 test vectors 1 and 2,
// which the validation suite checks the derivation against.
var SLIP10Vectors = []SLIP10Vector{
	{1, slip10Seed1, "m", "90046a93de5380a72b5e45010748567d5ea02bbf6522f979e05c0d8d8ca9fffb",
		"2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7", "00a4b2856bfec510abab89753fac1ac0e1112364e7d250545963f135f2a33188ed"},
	{1, slip10Seed1, "m/0'", "8b59aa11380b624e81507a27fedda59fea6d0b779a778918a2fd3590e16e9c69",
		"68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3", "008c8a13df77a28f3445213a0f432fde644acaa215fc72dcdf300d5efaa85d350c"},
	{1, slip10Seed1, "m/0'/1'", "a320425f77d1b5c2505a6b1b27382b37368ee640e3557c315416801243552f14",
		"b1d0bad404bf35da785a64ca1ac54b2617211d2777696fbffaf208f746ae84f2", "001932a5270f335bed617d5b935c80aedb1a35bd9fc1e31acafd5372c30f5c1187"},
	{1, slip10Seed1, "m/0'/1'/2'", "2e69929e00b5ab250f49c3fb1c12f252de4fed2c1db88387094a0f8c4c9ccd6c",
		"92a5b23c0b8a99e37d07df3fb9966917f5d06e02ddbd909c7e184371463e9fc9", "00ae98736566d30ed0e9d2f4486a64bc95740d89c7db33f52121f8ea8f76ff0fc1"},
	{1, slip10Seed1, "m/0'/1'/2'/2'", "8f6d87f93d750e0efccda017d662a1b31a266e4a6f5993b15f5c1f07f74dd5cc",
		"30d1dc7e5fc04c31219ab25a27ae00b50f6fd66622f6e9c913253d6511d1e662", "008abae2d66361c879b900d204ad2cc4984fa2aa344dd7ddc46007329ac76c429c"},
	{1, slip10Seed1, "m/0'/1'/2'/2'/1000000000'", "68789923a0cac2cd5a29172a475fe9e0fb14cd6adb5ad98a3fa70333e7afa230",
		"8f94d394a8e8fd6b1bc2f3f49f5c47e385281d5c17e65324b0f62483e37e8793", "003c24da049451555d51a7014a37337aa4e12d41e485abccfa46b47dfb2af54b7a"},
	{2, slip10Seed2, "m", "ef70a74db9c3a5af931b5fe73ed8e1a53464133654fd55e7a66f8570b8e33c3b",
		"171cb88b1b3c1db25add599712e36245d75bc65a1a5c9e18d76f9f2b1eab4012", "008fe9693f8fa62a4305a140b9764c5ee01e455963744fe18204b4fb948249308a"},
	{2, slip10Seed2, "m/0'", "0b78a3226f915c082bf118f83618a618ab6dec793752624cbeb622acb562862d",
		"1559eb2bbec5790b0c65d8693e4d0875b1747f4970ae8b650486ed7470845635", "0086fab68dcb57aa196c77c5f264f215a112c22a912c10d123b0d03c3c28ef1037"},
	{2, slip10Seed2, "m/0'/2147483647'", "138f0b2551bcafeca6ff2aa88ba8ed0ed8de070841f0c4ef0165df8181eaad7f",
		"ea4f5bfe8694d8bb74b7b59404632fd5968b774ed545e810de9c32a4fb4192f4", "005ba3b9ac6e90e83effcd25ac4e58a1365a9e35a3d3ae5eb07b9e4d90bcf7506d"},
	{2, slip10Seed2, "m/0'/2147483647'/1'", "73bd9fff1cfbde33a1b846c27085f711c0fe2d66fd32e139d3ebc28e5a4a6b90",
		"3757c7577170179c7868353ada796c839135b3d30554bbb74a4b1e4a5a58505c", "002e66aa57069c86cc18249aecf5cb5a9cebbfd6fadeab056254763874a9352b45"},
	{2, slip10Seed2, "m/0'/2147483647'/1'/2147483646'", "0902fe8a29f9140480a00ef244bd183e8a13288e4412d8389d140aac1794825a",
		"5837736c89570de861ebc173b1086da4f505d4adb387c6a1b1342d5e4ac9ec72", "00e33c0f7d81d843c572275f287498e8d408654fdf0d1e065b84e2e6f157aab09b"},
	{2, slip10Seed2, "m/0'/2147483647'/1'/2147483646'/2'", "5d70af781f3a37b829f0d060924d5e960bdc02e85423494afc0b1a41bbe196d4",
		"551d333177df541ad876a60ea71f00447931c0a9da16f227c11ea080d7391b8d", "0047150c75db263559a70d5778bf36abbab30fb061ad69f69ece61a72b0cfa4fc0"},
}

// CheckSLIP10 derives one vector and says what differs ("" when it all
// matches).
func CheckSLIP10(v SLIP10Vector) string {
	seed, err := decodeHex(v.Seed)
	if err != nil {
		return fmt.Sprintf("vector %d %s: the seed is not hex", v.Chain, v.Path)
	}
	path, err := ParseSLIP10Path(v.Path)
	if err != nil {
		return fmt.Sprintf("vector %d: %v", v.Chain, err)
	}
	k, err := SLIP10Derive(seed, path)
	if err != nil {
		return fmt.Sprintf("vector %d %s: %v", v.Chain, v.Path, err)
	}
	var bad []string
	if got := fmt.Sprintf("%x", k.ChainCode); got != v.ChainCode {
		bad = append(bad, fmt.Sprintf("chain code %s, published %s", got, v.ChainCode))
	}
	if got := fmt.Sprintf("%x", k.Key); got != v.Private {
		bad = append(bad, fmt.Sprintf("private key %s, published %s", got, v.Private))
	}
	if got := fmt.Sprintf("00%x", []byte(k.PublicKey())); got != v.Public {
		bad = append(bad, fmt.Sprintf("public key %s, published %s", got, v.Public))
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("vector %d %s: %s", v.Chain, v.Path, strings.Join(bad, "; "))
}

func decodeHex(s string) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("odd length")
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		n, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			return nil, err
		}
		out[i] = byte(n)
	}
	return out, nil
}
