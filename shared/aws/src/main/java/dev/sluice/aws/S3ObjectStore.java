package dev.sluice.aws;

import dev.sluice.core.inference.ItemFetcher;
import dev.sluice.core.port.ObjectStore;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** The data bucket and users' s3:// items. */
public final class S3ObjectStore implements ObjectStore {
    private final S3Client s3;
    private final S3Presigner presigner;
    private final String bucket;

    public S3ObjectStore(S3Client s3, S3Presigner presigner, SluiceConfig config) {
        this.s3 = s3;
        this.presigner = presigner;
        this.bucket = config.bucket();
    }

    @Override
    public UploadUrl presignPut(String key, String contentType, Duration ttl) {
        var presigned = presigner.presignPutObject(b -> b.signatureDuration(ttl)
                .putObjectRequest(p -> p.bucket(bucket).key(key).contentType(contentType).ifNoneMatch("*")));
        Map<String, String> headers = new HashMap<>();
        presigned.signedHeaders().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("host")) {
                headers.put(name, String.join(",", values));
            }
        });
        return new UploadUrl("PUT", presigned.url().toString(), headers, presigned.expiration().toEpochMilli());
    }

    @Override
    public String presignGet(String key, Duration ttl) {
        return presigner.presignGetObject(b -> b.signatureDuration(ttl).getObjectRequest(g -> g.bucket(bucket).key(key)))
                .url().toString();
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        try {
            var head = s3.headObject(b -> b.bucket(bucket).key(key));
            return Optional.of(new ObjectInfo(head.contentLength(), head.eTag()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public InputStream open(String key, long fromOffset, String ifMatchEtag) {
        try {
            ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> {
                b.bucket(bucket).key(key);
                if (fromOffset > 0) {
                    b.range("bytes=" + fromOffset + "-");
                }
                if (ifMatchEtag != null) {
                    b.ifMatch(ifMatchEtag);
                }
            });
            return in;
        } catch (S3Exception e) {
            if (e.statusCode() == 412) {
                throw new ObjectChangedException(key);
            }
            if (e.statusCode() == 416) {
                return new ByteArrayInputStream(new byte[0]);
            }
            throw e;
        }
    }

    @Override
    public byte[] read(String key) {
        return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
    }

    @Override
    public byte[] read(String key, String ifMatchEtag) {
        try {
            return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key).ifMatch(ifMatchEtag)).asByteArray();
        } catch (NoSuchKeyException e) {
            throw new ObjectChangedException(key);
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 404) {
                throw new ObjectChangedException(key);
            }
            throw e;
        }
    }

    @Override
    public void put(String key, byte[] bytes, String contentType) {
        s3.putObject(b -> b.bucket(bucket).key(key).contentType(contentType), RequestBody.fromBytes(bytes));
    }

    /** The bytes are read from the supplier's stream as they are sent (a retry of the request asks for a new stream). */
    @Override
    public void put(String key, long length, java.util.function.Supplier<InputStream> content, String contentType) {
        s3.putObject(b -> b.bucket(bucket).key(key).contentType(contentType).contentLength(length),
                RequestBody.fromContentProvider(content::get, length, contentType));
    }

    /**
     * Lists a page and deletes it with one DeleteObjects (both at most 1,000 keys), then the next page: DeleteObjects
     * answers 200 with per-key errors (<a href="https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html">
     * DeleteObjects</a>), which fail the call naming the first.
     */
    @Override
    public long deletePrefix(String prefix) {
        long deleted = 0;
        String token = null;
        do {
            String page = token;
            var listing = s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix).maxKeys(1000).continuationToken(page));
            if (!listing.contents().isEmpty()) {
                java.util.List<software.amazon.awssdk.services.s3.model.ObjectIdentifier> ids = listing.contents().stream()
                        .map(o -> software.amazon.awssdk.services.s3.model.ObjectIdentifier.builder().key(o.key()).build())
                        .toList();
                var response = s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(ids).quiet(true)));
                if (response.hasErrors() && !response.errors().isEmpty()) {
                    var first = response.errors().get(0);
                    throw new IllegalStateException("could not delete " + first.key() + ": " + first.code());
                }
                deleted += ids.size();
            }
            token = Boolean.TRUE.equals(listing.isTruncated()) ? listing.nextContinuationToken() : null;
        } while (token != null);
        return deleted;
    }

    @Override
    public void delete(String key) {
        s3.deleteObject(b -> b.bucket(bucket).key(key));
    }

    @Override
    public java.util.List<String> keys(String prefix) {
        java.util.List<String> keys = new java.util.ArrayList<>();
        s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().forEach(o -> keys.add(o.key()));
        return keys;
    }

    @Override
    public java.util.List<String> keys(String prefix, String startAfter, int max) {
        if (max < 1 || max > RequestLimits.S3_LIST_KEYS) {
            throw new IllegalArgumentException("max is 1.." + RequestLimits.S3_LIST_KEYS + ": " + max);
        }
        return s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix).startAfter(startAfter).maxKeys(max)).contents()
                .stream().map(software.amazon.awssdk.services.s3.model.S3Object::key).toList();
    }

    @Override
    public byte[] readItem(String itemBucket, String key, long maxBytes) throws IOException {
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(itemBucket).key(key))) {
            if (in.response().contentLength() != null && in.response().contentLength() > maxBytes) {
                in.abort();
                throw new ItemFetcher.TooLargeException();
            }
            return ItemFetcher.readCapped(in, maxBytes);
        } catch (NoSuchKeyException e) {
            throw new FileNotFoundException("s3://" + itemBucket + "/" + key + " does not exist");
        } catch (S3Exception e) {
            throw new IOException("S3 refused s3://" + itemBucket + "/" + key + ": HTTP " + e.statusCode(), e);
        }
    }

}
