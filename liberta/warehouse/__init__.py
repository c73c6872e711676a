"""The warehouse: Redshift SQL rendering, the local Postgres, and the transactional load."""
