package dev.sluice.aws;

import dev.sluice.core.destination.DestinationBuckets;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * {@link DestinationBuckets} on S3 with the functions' role. The service's data bucket is refused here too, whatever
 * the caller checked: a destination writing into it would reach every project's objects.
 */
public final class S3DestinationBuckets implements DestinationBuckets {
    private final S3Client s3;
    private final String dataBucket;

    public S3DestinationBuckets(S3Client s3, String dataBucket) {
        this.s3 = s3;
        this.dataBucket = dataBucket;
    }

    @Override
    public void put(String bucket, String key, byte[] body, String contentType) {
        refuseDataBucket(bucket);
        s3.putObject(b -> b.bucket(bucket).key(key).contentType(contentType), RequestBody.fromBytes(body));
    }

    @Override
    public boolean exists(String bucket, String key) {
        refuseDataBucket(bucket);
        try {
            s3.headObject(b -> b.bucket(bucket).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    private void refuseDataBucket(String bucket) {
        if (bucket.equals(dataBucket)) {
            throw new IllegalArgumentException("the data bucket is never a destination");
        }
    }
}
