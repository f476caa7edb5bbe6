//! The `ARROW:schema` key of trajectories.parquet (issue 22 item 14): an Arrow IPC schema
//! message that tells Arrow readers (pyarrow, hence `pandas.read_parquet`, and R's arrow) to
//! read the string columns as dictionaries, which pandas turns into categoricals and R into
//! factors, instead of one Python or R string per row (22 million rows: 3 GB and 30 s).
//!
//! Arrow writes this key itself; migproj writes Parquet without the Arrow crates (they would
//! double the build), so the message is encoded here: a FlatBuffers `Message` whose header is a
//! `Schema` (Arrow's format/Message.fbs and format/Schema.fbs, metadata version V5), framed as
//! an encapsulated IPC message (continuation marker, length, body padded to 8 bytes) and
//! base64-encoded, as Arrow's own Parquet writer stores it.

/// The Arrow type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrowType {
    /// 32-bit signed integer (Parquet INT32).
    Int32,
    /// 64-bit float (Parquet DOUBLE).
    Float64,
    /// UTF-8 strings read as a dictionary with 32-bit signed indices (Parquet BYTE_ARRAY UTF8).
    DictionaryUtf8,
}

/// FlatBuffers `Type` union tags (Schema.fbs).
const TYPE_INT: u8 = 2;
const TYPE_FLOATING_POINT: u8 = 3;
const TYPE_UTF8: u8 = 5;
/// `MessageHeader` union tag of `Schema`, and `MetadataVersion::V5`.
const HEADER_SCHEMA: u8 = 1;
const METADATA_V5: i16 = 4;
/// `Precision::DOUBLE`.
const PRECISION_DOUBLE: i16 = 2;

/// A table field's value: a scalar written inline, or an offset to an object written later.
#[derive(Clone, Copy)]
enum Slot {
    U8(u8),
    I16(i16),
    I32(i32),
    I64(i64),
    Ref,
}

impl Slot {
    fn size(self) -> usize {
        match self {
            Slot::U8(_) => 1,
            Slot::I16(_) => 2,
            Slot::I32(_) | Slot::Ref => 4,
            Slot::I64(_) => 8,
        }
    }
}

/// A FlatBuffers buffer written front to back: every object after the offsets that point to it
/// (FlatBuffers offsets are unsigned and point forward), each vtable just before its table.
struct Builder {
    buf: Vec<u8>,
}

impl Builder {
    fn pad_to(&mut self, align: usize, remainder: usize) {
        while self.buf.len() % align != remainder {
            self.buf.push(0);
        }
    }

    /// Points the offset at `at` to the object at `target`.
    fn patch(&mut self, at: usize, target: usize) {
        let offset = u32::try_from(target - at).expect("an Arrow schema is small");
        self.buf[at..at + 4].copy_from_slice(&offset.to_le_bytes());
    }

    fn string(&mut self, s: &str) -> usize {
        self.pad_to(4, 0);
        let at = self.buf.len();
        self.buf
            .extend_from_slice(&u32::try_from(s.len()).unwrap_or(0).to_le_bytes());
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
        at
    }

    /// A vector of `n` offsets: its position and the positions of its elements, to patch.
    fn offsets(&mut self, n: usize) -> (usize, Vec<usize>) {
        self.pad_to(4, 0);
        let at = self.buf.len();
        self.buf
            .extend_from_slice(&u32::try_from(n).unwrap_or(0).to_le_bytes());
        let elements = (0..n).map(|k| at + 4 + 4 * k).collect();
        self.buf.resize(at + 4 + 4 * n, 0);
        (at, elements)
    }

    /// A table whose field `k` is `slots[k]` (None: absent, the schema's default). Returns its
    /// position and the positions of its `Ref` fields, in slot order, to patch.
    fn table(&mut self, slots: &[Option<Slot>]) -> (usize, Vec<usize>) {
        let wide = slots.iter().flatten().any(|s| s.size() == 8);
        // The vtable: its size, the table's inline size, each field's offset in the table.
        self.pad_to(2, 0);
        let vtable = self.buf.len();
        self.buf.resize(vtable + 4 + 2 * slots.len(), 0);
        // The table starts with its 4-byte offset to the vtable; an 8-byte field right after
        // it needs the table at 4 mod 8.
        if wide {
            self.pad_to(8, 4);
        } else {
            self.pad_to(4, 0);
        }
        let table = self.buf.len();
        self.buf
            .extend_from_slice(&i32::try_from(table - vtable).unwrap_or(0).to_le_bytes());
        // Fields by decreasing size, each at its alignment.
        let mut order: Vec<usize> = (0..slots.len()).filter(|&k| slots[k].is_some()).collect();
        order.sort_by_key(|&k| std::cmp::Reverse(slots[k].map_or(0, Slot::size)));
        let mut field_at = vec![0u16; slots.len()];
        let mut refs = vec![0usize; slots.len()];
        for k in order {
            let slot = slots[k].expect("filtered");
            self.pad_to(slot.size(), 0);
            let at = self.buf.len();
            field_at[k] = u16::try_from(at - table).unwrap_or(0);
            match slot {
                Slot::U8(x) => self.buf.push(x),
                Slot::I16(x) => self.buf.extend_from_slice(&x.to_le_bytes()),
                Slot::I32(x) => self.buf.extend_from_slice(&x.to_le_bytes()),
                Slot::I64(x) => self.buf.extend_from_slice(&x.to_le_bytes()),
                Slot::Ref => {
                    refs[k] = at;
                    self.buf.extend_from_slice(&[0; 4]);
                }
            }
        }
        let size = |x: usize| u16::try_from(x).unwrap_or(0).to_le_bytes();
        let inline = size(self.buf.len() - table);
        self.buf[vtable..vtable + 2].copy_from_slice(&size(4 + 2 * slots.len()));
        self.buf[vtable + 2..vtable + 4].copy_from_slice(&inline);
        for (k, at) in field_at.iter().enumerate() {
            self.buf[vtable + 4 + 2 * k..vtable + 6 + 2 * k].copy_from_slice(&at.to_le_bytes());
        }
        let refs = (0..slots.len())
            .filter(|&k| matches!(slots[k], Some(Slot::Ref)))
            .map(|k| refs[k])
            .collect();
        (table, refs)
    }

    /// `Int { bitWidth: 32, is_signed: true }`.
    fn int32(&mut self) -> usize {
        self.table(&[Some(Slot::I32(32)), Some(Slot::U8(1))]).0
    }
}

/// The FlatBuffers `Message { version: V5, header: Schema { fields } }` of these columns (not
/// nullable, as trajectories.parquet's REQUIRED columns).
fn schema_message(columns: &[(&str, ArrowType)]) -> Vec<u8> {
    let mut b = Builder { buf: vec![0; 4] };
    let (message, refs) = b.table(&[
        Some(Slot::I16(METADATA_V5)),
        Some(Slot::U8(HEADER_SCHEMA)),
        Some(Slot::Ref),
    ]);
    b.patch(0, message);
    let (schema, schema_refs) = b.table(&[None, Some(Slot::Ref)]);
    b.patch(refs[0], schema);
    let (fields, elements) = b.offsets(columns.len());
    b.patch(schema_refs[0], fields);
    let mut dictionary_id = 0i64;
    for (&(name, kind), &element) in columns.iter().zip(&elements) {
        let type_tag = match kind {
            ArrowType::Int32 => TYPE_INT,
            ArrowType::Float64 => TYPE_FLOATING_POINT,
            ArrowType::DictionaryUtf8 => TYPE_UTF8,
        };
        let dictionary = kind == ArrowType::DictionaryUtf8;
        // Field { name, nullable, type_type, type, dictionary, children }.
        let (field, field_refs) = b.table(&[
            Some(Slot::Ref),
            Some(Slot::U8(0)),
            Some(Slot::U8(type_tag)),
            Some(Slot::Ref),
            dictionary.then_some(Slot::Ref),
            Some(Slot::Ref),
        ]);
        b.patch(element, field);
        let at = b.string(name);
        b.patch(field_refs[0], at);
        let at = match kind {
            ArrowType::Int32 => b.int32(),
            ArrowType::Float64 => b.table(&[Some(Slot::I16(PRECISION_DOUBLE))]).0,
            ArrowType::DictionaryUtf8 => b.table(&[]).0,
        };
        b.patch(field_refs[1], at);
        let children = if dictionary {
            // DictionaryEncoding { id, indexType: Int32, isOrdered: false }.
            let (encoding, encoding_refs) =
                b.table(&[Some(Slot::I64(dictionary_id)), Some(Slot::Ref)]);
            dictionary_id += 1;
            b.patch(field_refs[2], encoding);
            let at = b.int32();
            b.patch(encoding_refs[0], at);
            field_refs[3]
        } else {
            field_refs[2]
        };
        // Arrow's reader refuses a field without its (empty) children vector.
        let (at, _) = b.offsets(0);
        b.patch(children, at);
    }
    b.buf
}

/// The value of the `ARROW:schema` key: the encapsulated IPC message (0xFFFFFFFF, the
/// message's length, the message padded to 8 bytes), base64-encoded.
pub fn arrow_schema_value(columns: &[(&str, ArrowType)]) -> String {
    let mut message = schema_message(columns);
    while !message.len().is_multiple_of(8) {
        message.push(0);
    }
    let mut framed = Vec::with_capacity(message.len() + 8);
    framed.extend_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    framed.extend_from_slice(&u32::try_from(message.len()).unwrap_or(0).to_le_bytes());
    framed.extend_from_slice(&message);
    base64(&framed)
}

/// Standard base64 with padding (RFC 4648 section 4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (k, &b)| n | (u32::from(b) << (16 - 8 * k)));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * k)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_the_rfc_examples() {
        // RFC 4648 section 10.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    fn u32_at(b: &[u8], at: usize) -> usize {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize
    }

    fn u16_at(b: &[u8], at: usize) -> usize {
        u16::from_le_bytes(b[at..at + 2].try_into().unwrap()) as usize
    }

    /// The position of field `k` of the table at `table` (None: absent), as a FlatBuffers
    /// reader finds it: through the vtable at `table - soffset`.
    fn field(b: &[u8], table: usize, k: usize) -> Option<usize> {
        let soffset = i32::from_le_bytes(b[table..table + 4].try_into().unwrap());
        let vtable = (table as i64 - i64::from(soffset)) as usize;
        let size = u16_at(b, vtable);
        if 4 + 2 * k >= size {
            return None;
        }
        match u16_at(b, vtable + 4 + 2 * k) {
            0 => None,
            at => Some(table + at),
        }
    }

    fn follow(b: &[u8], at: usize) -> usize {
        at + u32_at(b, at)
    }

    /// Walks the message as a FlatBuffers reader would: the names, types and dictionary ids
    /// read back are the ones written, and every scalar sits at its alignment.
    #[test]
    fn the_schema_message_reads_back() {
        let columns = [
            ("scenario", ArrowType::DictionaryUtf8),
            ("trajectory", ArrowType::Int32),
            ("value", ArrowType::Float64),
            ("region", ArrowType::DictionaryUtf8),
        ];
        let b = schema_message(&columns);
        let message = follow(&b, 0);
        assert_eq!(message % 4, 0);
        let version = field(&b, message, 0).unwrap();
        assert_eq!(version % 2, 0);
        assert_eq!(u16_at(&b, version), 4);
        assert_eq!(b[field(&b, message, 1).unwrap()], HEADER_SCHEMA);
        let schema = follow(&b, field(&b, message, 2).unwrap());
        assert_eq!(
            field(&b, schema, 0),
            None,
            "endianness: little, the default"
        );
        let fields = follow(&b, field(&b, schema, 1).unwrap());
        assert_eq!(u32_at(&b, fields), columns.len());
        let mut ids = vec![];
        for (k, &(name, kind)) in columns.iter().enumerate() {
            let f = follow(&b, fields + 4 + 4 * k);
            let name_at = follow(&b, field(&b, f, 0).unwrap());
            let len = u32_at(&b, name_at);
            assert_eq!(&b[name_at + 4..name_at + 4 + len], name.as_bytes());
            assert_eq!(b[name_at + 4 + len], 0, "strings end with a NUL");
            assert_eq!(b[field(&b, f, 1).unwrap()], 0, "not nullable");
            let tag = b[field(&b, f, 2).unwrap()];
            let ty = follow(&b, field(&b, f, 3).unwrap());
            match kind {
                ArrowType::Int32 => {
                    assert_eq!(tag, TYPE_INT);
                    assert_eq!(u32_at(&b, field(&b, ty, 0).unwrap()), 32);
                    assert_eq!(b[field(&b, ty, 1).unwrap()], 1);
                }
                ArrowType::Float64 => {
                    assert_eq!(tag, TYPE_FLOATING_POINT);
                    assert_eq!(u16_at(&b, field(&b, ty, 0).unwrap()), 2);
                }
                ArrowType::DictionaryUtf8 => {
                    assert_eq!(tag, TYPE_UTF8);
                    let encoding = follow(&b, field(&b, f, 4).unwrap());
                    let id_at = field(&b, encoding, 0).unwrap();
                    assert_eq!(id_at % 8, 0, "a long at its alignment");
                    ids.push(i64::from_le_bytes(b[id_at..id_at + 8].try_into().unwrap()));
                    let index = follow(&b, field(&b, encoding, 1).unwrap());
                    assert_eq!(u32_at(&b, field(&b, index, 0).unwrap()), 32);
                }
            }
            if kind != ArrowType::DictionaryUtf8 {
                assert_eq!(field(&b, f, 4), None);
            }
            let children = follow(&b, field(&b, f, 5).unwrap());
            assert_eq!(u32_at(&b, children), 0);
        }
        assert_eq!(ids, [0, 1], "one dictionary id per column");
        let framed = arrow_schema_value(&columns);
        assert!(
            framed.starts_with("/////"),
            "the continuation marker: {framed}"
        );
    }
}
