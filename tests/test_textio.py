import pytest

from data_sources.errors import EmptyFileError, EncodingError, FileAccessError, FormatError
from data_sources.textio import read_csv_table, read_text

TEXT = "name,value\nকরাচি,1\nলাহোর,2\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
def test_unicode_encodings_with_or_without_bom_read_the_same(tmp_path, encoding):
    path = tmp_path / "t.csv"
    path.write_bytes(TEXT.encode(encoding))
    assert read_text(path) == TEXT


def test_latin1_is_refused_with_line_and_hint(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("name\nAmritsar\nCaf\xe9 border post\n".encode("latin-1"))
    with pytest.raises(EncodingError) as err:
        read_text(path)
    assert err.value.row == 3
    assert "latin.csv" in str(err.value)
    assert "0xe9" in str(err.value) and "--encoding" in str(err.value)


def test_latin1_reads_when_named(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("name\nCaf\xe9\n".encode("latin-1"))
    assert read_text(path, "latin-1") == "name\nCafé\n"


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"  \n")
    with pytest.raises(EmptyFileError, match="empty.csv: file is empty"):
        read_text(empty)
    with pytest.raises(FileAccessError, match="does not exist"):
        read_text(tmp_path / "nope.csv")


def test_header_only_csv_is_empty(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("a,b\n")
    with pytest.raises(EmptyFileError, match="no data rows"):
        read_csv_table(path)


def test_hxl_tag_row_is_recognised_and_rows_numbered_from_3(tmp_path):
    path = tmp_path / "hxl.csv"
    path.write_text("Province,IDPs,Date\n#adm1 +name,#affected+idps+ind,#date+reported\n"
                    "Sindh,100,2026-09-01\n")
    table = read_csv_table(path)
    assert table.tags == {"Province": "#adm1+name", "IDPs": "#affected+idps+ind",
                          "Date": "#date+reported"}
    assert table.frame["_row"].tolist() == [3]
    assert table.column_for_tag("#affected+idps") == "IDPs"
    assert table.column_for_tag("#affected+refugees") is None
    assert table.column_for_tag("#date") == "Date"


def test_ordinary_second_row_is_not_taken_for_tags(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("tag,value\n#1 priority,5\n")
    table = read_csv_table(path)
    assert table.tags == {}
    assert table.frame["_row"].tolist() == [2]


def test_ragged_csv_is_a_format_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text('a,b\n1,"unterminated\n')
    with pytest.raises(FormatError, match="bad.csv"):
        read_csv_table(path)
