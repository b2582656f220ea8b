import Joi from 'joi';

export interface MediaParams {
  key: string;
}

export const mediaParams = Joi.object<MediaParams>({
  key: Joi.string()
    .required()
    .description(
      'Storage key, slashes included (`attachments/123456789012345678/photo.png`): segments of ' +
        '[A-Za-z0-9._-], none starting with a dot.',
    ),
});
