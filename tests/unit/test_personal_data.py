"""Personal data at rest: encryption, key rotation and the NIK's blind index."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet

from pengaduan.accounts.personal_data import (
    PersonalDataCipher,
    UndecryptableData,
    cipher_for,
)
from pengaduan.settings import Settings

NIK = "3171011708900001"
ADDRESS = "Jl. Merdeka No. 17, RT 001/RW 002, Kel. Gambir, Jakarta Pusat — dekat Monas"
BLIND = "blind-index-key-for-tests"


def new_key() -> str:
    return Fernet.generate_key().decode()


def test_round_trip() -> None:
    cipher = PersonalDataCipher([new_key()], BLIND)
    for text in (NIK, "+62 812-3456-7890", ADDRESS, ""):
        token = cipher.encrypt(text)
        assert isinstance(token, str)
        assert cipher.decrypt(token) == text


def test_none_stays_none() -> None:
    cipher = PersonalDataCipher([new_key()], BLIND)
    assert cipher.encrypt(None) is None
    assert cipher.decrypt(None) is None


def test_opened_tokens_are_kept_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from pengaduan.accounts import personal_data

    monkeypatch.setattr(personal_data, "MAX_OPENED", 3)
    cipher = PersonalDataCipher([new_key()], BLIND)
    tokens = [cipher.encrypt(f"{NIK[:-1]}{i}") for i in range(5)]
    assert cipher.decrypt(tokens[0]) == f"{NIK[:-1]}0"
    assert cipher.decrypt(tokens[0]) == f"{NIK[:-1]}0"
    assert cipher.kept() == 1
    empty = cipher.encrypt("")
    assert cipher.decrypt(empty) == ""
    assert cipher.decrypt(empty) == ""
    for i, token in enumerate(tokens):
        assert cipher.decrypt(token) == f"{NIK[:-1]}{i}"
        assert 1 <= cipher.kept() <= 3
    # A token no key opens is refused every time, and not kept.
    forged = tokens[1][:-6] + ("AAAAAA" if not tokens[1].endswith("AAAAAA") else "BBBBBB")
    for _ in range(2):
        with pytest.raises(UndecryptableData):
            cipher.decrypt(forged)
    # What one cipher kept, another's keys do not open.
    with pytest.raises(UndecryptableData):
        PersonalDataCipher([new_key()], BLIND).decrypt(tokens[4])


def test_ciphertext_holds_no_plaintext() -> None:
    cipher = PersonalDataCipher([new_key()], BLIND)
    for text in (NIK, ADDRESS):
        token = cipher.encrypt(text)
        assert text not in token
        raw = base64.urlsafe_b64decode(token)
        assert text.encode() not in raw
        assert NIK[:8].encode() not in raw
    # A fresh IV each time: equal NIKs do not give equal ciphertexts.
    assert cipher.encrypt(NIK) != cipher.encrypt(NIK)


def test_rotation_moves_data_to_the_newest_key() -> None:
    old, new = new_key(), new_key()
    token = PersonalDataCipher([old], BLIND).encrypt(ADDRESS)
    both = PersonalDataCipher([new, old], BLIND)
    assert both.decrypt(token) == ADDRESS  # old data stays readable during the change
    rotated = both.rotate(token)
    assert rotated != token
    only_new = PersonalDataCipher([new], BLIND)
    assert only_new.decrypt(rotated) == ADDRESS
    with pytest.raises(UndecryptableData):
        only_new.decrypt(token)


def test_new_data_is_encrypted_under_the_first_key() -> None:
    old, new = new_key(), new_key()
    token = PersonalDataCipher([new, old], BLIND).encrypt(NIK)
    assert PersonalDataCipher([new], BLIND).decrypt(token) == NIK
    with pytest.raises(UndecryptableData):
        PersonalDataCipher([old], BLIND).decrypt(token)


def test_needs_rotation() -> None:
    old, new = new_key(), new_key()
    both = PersonalDataCipher([new, old], BLIND)
    old_token = PersonalDataCipher([old], BLIND).encrypt(NIK)
    assert both.needs_rotation(old_token)
    assert not both.needs_rotation(both.rotate(old_token))
    assert not both.needs_rotation(both.encrypt(NIK))


def test_blind_index_is_deterministic_and_keyed() -> None:
    key = new_key()
    cipher = PersonalDataCipher([key], BLIND)
    index = cipher.blind_index(NIK)
    assert len(index) == 64 and int(index, 16) >= 0
    assert cipher.blind_index(NIK) == index
    assert cipher.blind_index("3171 0117 0890 0001") == index  # formatting is ignored
    # Independent of the encryption keys (so rotation never touches it) ...
    assert PersonalDataCipher([new_key()], BLIND).blind_index(NIK) == index
    # ... but dependent on its own key, and on the NIK.
    assert PersonalDataCipher([key], BLIND + "x").blind_index(NIK) != index
    assert cipher.blind_index("3171011708900002") != index
    assert NIK not in index


def test_wrong_keys_raise_undecryptable_data() -> None:
    token = PersonalDataCipher([new_key()], BLIND).encrypt(NIK)
    stranger = PersonalDataCipher([new_key(), new_key()], BLIND)
    with pytest.raises(UndecryptableData):
        stranger.decrypt(token)
    with pytest.raises(UndecryptableData):
        stranger.rotate(token)
    with pytest.raises(UndecryptableData):
        stranger.decrypt("not a fernet token")
    assert stranger.needs_rotation(token)


def test_keys_are_required() -> None:
    with pytest.raises(ValueError):
        PersonalDataCipher([], BLIND)
    with pytest.raises(ValueError):
        PersonalDataCipher([new_key()], "")


def test_cipher_for_is_cached_per_keys() -> None:
    key = new_key()
    first = cipher_for(Settings(encryption_keys=(key,), blind_index_key=BLIND))
    assert cipher_for(Settings(encryption_keys=(key,), blind_index_key=BLIND)) is first
    other = cipher_for(Settings(encryption_keys=(new_key(), key), blind_index_key=BLIND))
    assert other is not first
    assert other.decrypt(first.encrypt(NIK)) == NIK
