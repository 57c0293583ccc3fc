"""Regions: provinces (PP) and kab/kota (PP.KK) with Kemendagri codes and time zones."""
