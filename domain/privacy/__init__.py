"""Privacy by design: personal values sealed per student, and forgotten by destroying a key.

`envelope` is the stored form of one sealed value, `kek` the key that wraps the data keys, `keys`
the key store in the event store's own database, and `mapper` the event mapper that seals the
marked values of trajectory events on the way in and opens them on the way out.
"""
